"""recsys_course: the helper package of the course "Deep Learning Foundations for
Recommender Systems". Each module has one job; see README.md for the map."""

__version__ = "0.1.0"
