"""nbgrader configuration for the course (nbgrader 0.9).

solutions/<assignment>/  nbgrader's source directory: instructor notebooks with solutions and hidden tests
exercises/<assignment>/  nbgrader's release directory: the student version, generated and committed

Regenerate exercises/ after editing a solution:   python -m labsim.grading generate
Grading a class with nbgrader's own commands (collect, autograde, formgrader) also reads this file;
its gradebook.db and submitted/ autograded/ feedback/ folders are git-ignored.
"""

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "kinesis-by-experiment"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Autograding executes every cell. Simulation cells move simulated time and may push thousands of
# records through the lab; 120 s per cell leaves a slow laptop plenty of room while still stopping
# an endless loop. nbgrader's Execute preprocessor inherits this ExecutePreprocessor setting.
c.ExecutePreprocessor.timeout = 120

# What a learner finds in place of a solution.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE: replace these two lines with your answer\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
