"""Path templates: a document type's template files its documents into folders computed from
their metadata (``/home/Invoices/{{ document.cf['Company'] }}/{{ document.title }}``).

Depends on core only. Core queues the work by task name (``quire.core.filing``) in the
transaction of the change and never imports this package; ``register`` makes the tasks known
at start-up. The sandbox is ``sandbox.py``, what a path may name ``paths.py``, the operation
``filing.py``; users' documentation: docs/path-templates.md.
"""

from quire.core.tasks.registry import register_task_module


def register() -> None:
    """Make the ``file_by_template`` and ``refile_type`` tasks known to core's registry."""
    register_task_module("quire.path_templates.tasks")
