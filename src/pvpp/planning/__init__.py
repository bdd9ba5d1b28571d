"""Individual improvement plans: the measures library and the planner."""
