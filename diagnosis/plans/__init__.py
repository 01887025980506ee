"""Improvement plans: plan items from a result's recommendations, followed to done."""
