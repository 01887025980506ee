"""Programme eligibility: which programmes a firm qualifies for, from rule files and its latest results."""
