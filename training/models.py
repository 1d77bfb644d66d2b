# Lessons, study plans and self-study arrive with their own issues.
