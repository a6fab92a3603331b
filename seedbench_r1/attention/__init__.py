"""Attention from response tokens to the video and image (the paper's Section 5 analysis)."""
