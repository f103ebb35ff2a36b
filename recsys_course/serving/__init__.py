"""Serving: answering a user with a trained model.

- :mod:`.indexes` - exact top-K search and faiss indexes (flat, HNSW, IVF) behind one ``search(queries, k)``;
  recall against exact search and latency per query;
- :mod:`.two_stage` - :class:`TwoStageRecommender`: user vector -> ANN retrieval -> ranker -> titles, timed by stage.
"""
