# Assessments, supervision and reports arrive with their own issues.
