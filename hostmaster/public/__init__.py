"""Pages anyone may see without logging in (a disabled site's visitors land here)."""
