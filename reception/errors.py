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
