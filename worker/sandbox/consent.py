"""The consent screen the fake authorization servers show in the sandbox, and the redirect
back after it: a newcomer sees the grant happen as with the real services, in one click."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from worker.sandbox.consent_texts import CATALOG, LANGUAGES


def with_query(url: str, query: dict[str, str]) -> str:
    """``url`` with ``query`` appended to its own query string (an OAuth redirect back)."""
    parts = urlsplit(url)
    joined = f"{parts.query}&{urlencode(query)}" if parts.query else urlencode(query)
    return urlunsplit(parts._replace(query=joined))


CONSENT_ANSWER = "approve"
"""Query parameter the consent screen adds: ``yes`` grants, anything else denies."""


def consent_page(
    service: str, account: str, scope: str, params: dict[str, str], request: Request
) -> Response:
    """A one-click consent screen, like the real services show before redirecting back:
    in the app's look and language, under the sandbox banner, the access explained
    (``scope`` names the texts in ``consent_texts``).

    The form submits the authorization request again (every parameter as a hidden field)
    plus :data:`CONSENT_ANSWER`, so the fake stays stateless between the two requests.
    """
    asked = params.get("hl", "")
    lang = asked if asked in LANGUAGES else request.accept_languages.best_match(LANGUAGES, "en")
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in params.items()
        if k != CONSENT_ANSWER
    )
    title = escape(CATALOG.text("title", lang, service=service))
    allow, deny = escape(CATALOG.text("allow", lang)), escape(CATALOG.text("deny", lang))
    page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CONSENT_STYLE}</style></head>
<body>
<p class="sandbox-banner" id="sandbox-banner">{escape(CATALOG.text("banner", lang))}</p>
<main>
<h1>{title}</h1>
<p>{escape(CATALOG.text("signed_in", lang, account=account))}</p>
<p>{escape(CATALOG.text("asks", lang))}</p>
<ul><li>{escape(CATALOG.text(f"scope_{scope}", lang))}
<span class="help">{escape(CATALOG.text(f"scope_{scope}_name", lang))}</span></li></ul>
<form method="get">{hidden}
<button type="submit" name="{CONSENT_ANSWER}" value="yes" id="allow">{allow}</button>
<button type="submit" name="{CONSENT_ANSWER}" value="no" id="deny" class="secondary">{deny}</button>
</form>
<p class="help">{escape(CATALOG.text("deny_help", lang))}</p>
</main></body></html>"""
    return Response(page, content_type="text/html; charset=utf-8")


# The app's look (app/static/style.css and sandbox.css), in one small sheet: the fakes
# serve no static files.
_CONSENT_STYLE = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d2430; background: #f5f6f8; line-height: 1.45; }
.sandbox-banner { background: #fff4d6; color: #4a3500; border-bottom: 2px solid #e0b000;
  padding: .55rem 1rem; margin: 0; }
main { max-width: 32rem; margin: 2rem auto; padding: 1.2rem; background: #fff;
  border: 1px solid #d9dde3; border-radius: .5rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
.help { display: block; color: #5b6472; font-size: .9rem; }
form { display: flex; gap: .6rem; flex-wrap: wrap; margin: 1.2rem 0 .4rem; }
button { font: inherit; font-size: 1.05rem; padding: .65rem 1.6rem; border-radius: .35rem;
  border: 1px solid #1a63c7; background: #1a63c7; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1a63c7; }
button:focus-visible { outline: 3px solid #1a63c7; outline-offset: 2px; }
"""


def consent_refused(redirect_uri: str, params: dict[str, str]) -> Response:
    """The redirect back after "Deny": ``error=access_denied`` and the caller's state."""
    query = {"error": "access_denied"}
    if "state" in params:
        query["state"] = params["state"]
    return Response(status=302, headers={"Location": with_query(redirect_uri, query)})
