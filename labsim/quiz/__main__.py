"""``python -m labsim.quiz``: the same as the ``labsim-exam`` command."""

from .cli import main

raise SystemExit(main())
