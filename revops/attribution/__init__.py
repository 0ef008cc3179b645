"""Attribution helpers kept outside dbt: the exact Markov-chain solve (markov.py)."""
