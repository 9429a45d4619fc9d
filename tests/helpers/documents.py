"""Files uploaded into an existing document (a new version of it)."""


def upload(account, document_id, data, name="file.pdf", mime="application/pdf"):
    """The response of uploading ``data`` into the document, unchecked."""
    return account.client.post(
        f"/api/documents/{document_id}/upload", files={"file": (name, data, mime)}
    )
