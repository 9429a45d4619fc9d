"""The two checks every resource's endpoints get: refused without their scope (and nothing
changes), served with only that scope. ``url_for(account)`` makes the account's own object
(directly: the account may lack the scope to create it) and answers the endpoint's URL."""

from quire.core.scopes import ALL_SCOPES


def assert_refused_without(make_account, all_rows, scope, method, url_for, body):
    account = make_account(scopes=ALL_SCOPES - {scope})
    url = url_for(account)
    before = all_rows()
    response = account.client.request(method, url, json=body)
    assert response.status_code == 403
    assert response.json() == {"detail": f"missing scopes: {scope}"}
    assert all_rows() == before


def assert_served_with_only(make_account, scope, method, url_for, body):
    account = make_account(scopes={scope})
    response = account.client.request(method, url_for(account), json=body)
    assert response.status_code < 300, response.text
