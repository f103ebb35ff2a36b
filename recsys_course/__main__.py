"""``python -m recsys_course``: the course's command line (:mod:`recsys_course.cli`)."""

from .cli import main

raise SystemExit(main())
