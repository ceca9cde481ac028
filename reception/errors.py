class ReceptionError(Exception):
    """A reception rule refused an action.

    `code` is stable (tests and API clients match on it); `message` is translated
    and names the reason and, where there is one, the alternative.
    """

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)

    def add_to_form(self, form, *, field: str | None = None) -> None:
        """Show this refusal on `form`: next to the field it names (or `field`,
        where the form calls that field something else), above the form when
        the form has no such field."""
        name = field or self.field
        form.add_error(name if name in form.fields else None, self.message)
