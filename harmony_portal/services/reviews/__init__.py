"""Access reviews: an administrator starts one; each organization's officials keep or remove every role held
there by the due date; the rest follow the review's setting."""
