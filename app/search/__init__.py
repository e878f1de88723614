"""Arabic-aware full-text search, the pure part: index terms, the query language, highlighting.

`text.index_text` is what gets indexed (FTS5 / to_tsvector('simple', …)),
`query.parse` + `to_fts5` / `to_tsquery` is what gets matched against it, and
`highlight` maps the query terms back onto the original display text.
"""
