"""The store: what lives on disk beside the glossary's YAML files — the index that caches them
(`index`), the recognition automaton kept in it (`cache`)."""
