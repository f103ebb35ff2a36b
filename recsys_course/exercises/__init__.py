"""The lessons' exercises and their checks: one module per lesson, ``lessonNN.exercises()`` lists them.

A notebook gets its lesson's checker from ``recsys_course.check.exercises("NN", data)``; the checks'
machinery (numbers, functions, choices) lives in ``recsys_course.check``.
"""

LESSONS = ("01", "02", "03", "04", "05", "06")
