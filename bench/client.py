"""A browser's state for the load tool: sign in, enrol a kiosk, take a CSRF token.

The load itself is wrk's job; this only does the few requests that set up the
cookies wrk then sends with every request. Cookies are kept by name whatever
their Secure flag, because on loopback the stack is reached over plain HTTP
with `X-Forwarded-Proto: https`, as if a TLS proxy stood in front of it.
"""

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    base_url: str
    behind_proxy: bool = True
    cookies: dict = field(default_factory=dict)

    def __post_init__(self):
        parts = urllib.parse.urlsplit(self.base_url)
        self.scheme, self.netloc = parts.scheme, parts.netloc
        self.origin = f"https://{self.netloc}" if self.behind_proxy else f"{self.scheme}://{self.netloc}"

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Host": self.netloc, "Accept-Language": "en"}
        if self.behind_proxy:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        return {**headers, **(extra or {})}

    def cookie_header(self, names: list[str] | None = None) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items() if names is None or k in names)

    def _connection(self, timeout: float):
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.netloc, timeout=timeout)

    def request(
        self, method: str, path: str, data: dict | None = None, timeout: float = 30, headers: dict | None = None
    ) -> Response:
        body = urllib.parse.urlencode(data or {}, doseq=True) if method == "POST" else None
        extra = dict(headers or {})
        if method == "POST":
            extra.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        conn = self._connection(timeout)
        try:
            conn.request(method, path, body=body, headers=self.headers(extra))
            raw = conn.getresponse()
            payload = raw.read()
            for header, value in raw.getheaders():
                if header.lower() == "set-cookie":
                    jar = SimpleCookie()
                    jar.load(value)
                    for name, morsel in jar.items():
                        self.cookies[name] = morsel.value
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload)
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, **kw) -> Response:
        return self.request("POST", path, data=data, **kw)

    def csrf_token(self, page: Response) -> str:
        match = CSRF_INPUT.search(page.text)
        if not match:
            raise RuntimeError("no CSRF token on the page")
        return match.group(1)

    def login(self, username: str, password: str, path: str = "/accounts/login/") -> None:
        page = self.get(path)
        response = self.post(
            path, {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf_token(page)}
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: HTTP {response.status}")

    def stream(self, path: str, on_chunk, timeout: float = 600) -> dict:
        """GET a large response, handing each chunk to on_chunk; returns timings."""
        conn = self._connection(timeout)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=self.headers())
            raw = conn.getresponse()
            first_byte = time.perf_counter() - started
            size = 0
            while chunk := raw.read(1 << 16):
                size += len(chunk)
                on_chunk(chunk)
            return {"status": raw.status, "bytes": size, "seconds": time.perf_counter() - started, "ttfb": first_byte}
        finally:
            conn.close()
