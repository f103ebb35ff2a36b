"""Full-size experiment scripts behind the lessons (run with ``python -m``)."""
