"""Administration pages: users, groups, roles, document types and custom fields, personal API
tokens, the audit log. One module per area, each small.

Like the browser's, these pages read through the API's own functions, called in-process, and
each page requires the scope its API endpoint requires (a 403 page otherwise). Every write is a
form that ``admin.js`` sends to the API as JSON with the session's CSRF token; the API's
validation errors (422, each naming its field) are shown beside their fields, and its refusals
(409: a name taken) beside the field they are about or above the form.
"""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    # Imported here: templating imports ``sections`` from this package, and these import it.
    from quire.web.ui.admin import audit, definitions, groups, home, roles, tokens, users

    return [module.router for module in (home, users, groups, roles, definitions, tokens, audit)]
