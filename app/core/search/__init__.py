"""Smart search: text and "more like this" over CLIP vectors (see service.SearchService)."""
