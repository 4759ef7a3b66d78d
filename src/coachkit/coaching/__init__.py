"""Coaching: rules, the coach that runs them, scores, the product-language check, settings."""
