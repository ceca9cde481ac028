"""The menu holds on one line on the desk's screens, 1280 to 1920 pixels wide,
in English and in Chinese, for the user who sees the most of it: no item
wraps onto a second row and no label breaks inside itself ("Walk-/in",
"简体中/文"; issue #16 item 12). Screenshots go to test-results/ (not kept in
git) for a person to look at."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from reception.models import DutyCode
from reception.roles import DUTY_GROUPS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

# Each piece of the bar: its top, its height, its line height, and how many
# lines its text takes (its content height over its line height).
MEASURE = """() => {
  const bar = document.querySelector('nav.navbar');
  const pieces = bar.querySelectorAll(
    '.navbar-brand, .navbar-nav > .nav-item > .nav-link, .navbar-text, .navbar button:not(.navbar-toggler)'
  );
  return {
    height: bar.getBoundingClientRect().height,
    toggler: getComputedStyle(bar.querySelector('.navbar-toggler')).display,
    pieces: Array.from(pieces).map(el => {
      const style = getComputedStyle(el);
      const content = el.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
      const line = parseFloat(style.lineHeight);
      const box = el.getBoundingClientRect();
      return {text: el.textContent.trim(), top: box.top, middle: box.top + box.height / 2,
              lines: Math.round(content / line), visible: box.width > 0};
    }),
  };
}"""


@pytest.fixture
def chief(make_staff, site):
    """An office director who also runs the back office: every link the menu has."""
    return make_staff("chief", DUTY_GROUPS[DutyCode.DIRECTOR], site=site, department="Administration", is_staff=True)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_menu_stays_on_one_line_from_1280_to_1920_pixels(live_server, page, sign_in, chief, language):
    sign_in("chief")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in (1280, 1366, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/desk/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.screenshot(
            path=SCREENSHOTS / f"navbar-{language}-{width}.png", clip={"x": 0, "y": 0, "width": width, "height": 120}
        )

        bar = page.evaluate(MEASURE)

        where = f"{language} at {width}px"
        assert bar["toggler"] == "none", f"the menu is collapsed behind its button ({where})"
        pieces = [piece for piece in bar["pieces"] if piece["visible"]]
        # The brand, five links, "Registers", "Sales floor" and "More", the
        # account menu, the other language.
        assert len(pieces) == 11, pieces
        wrapped = [piece["text"] for piece in pieces if piece["lines"] != 1]
        assert not wrapped, f"labels broken over two lines ({where}): {wrapped}"
        middles = {round(piece["middle"]) for piece in pieces}
        assert max(middles) - min(middles) <= 4, f"the menu is not one row ({where}): {pieces}"
        assert bar["height"] < 64, f"the menu is {bar['height']}px high ({where})"
