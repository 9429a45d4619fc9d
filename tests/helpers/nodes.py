"""Folders and documents made through /api/nodes, and a folder's listing."""


def make_folder(account, title, parent_id=None):
    response = account.client.post(
        "/api/nodes/",
        json={"title": title, "ctype": "folder", "parent_id": parent_id or account.home_id},
    )
    assert response.status_code == 201, response.text
    return response.json()


def make_document(account, title, parent_id=None):
    response = account.client.post(
        "/api/nodes/",
        json={"title": title, "ctype": "document", "parent_id": parent_id or account.home_id},
    )
    assert response.status_code == 201, response.text
    return response.json()


def children(account, parent_id, **params):
    response = account.client.get(f"/api/nodes/{parent_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()
