"""Term frequencies of names: which names are rare among the lists compared (the
Fellegi–Sunter term-frequency adjustment, ``weights.RARE_NAME_BITS``), counted set-based in SQL."""

from __future__ import annotations

from collections import defaultdict

#: Term-frequency evidence: agreeing names say more when the names are rare. A pair's names are
#: rare when, for each of the two, fewer than this many people are expected to bear it among the
#: targets and candidates together — estimated as the product of how often each of its words
#: occurs there, so rare given names and compound surnames make it rarer — and the candidate's
#: name is borne by no other candidate and the target's by no other target.
RARE_NAME_EXPECTED = 1.0


def rare_names(
    cursor,
    cand_keys: set[str],
    target_keys: set[str],
    targets_sql: str,
    params: dict,
    *,
    tokens_sql: str | None = None,
    target_total: int | None = None,
) -> tuple[set[str], set[str]]:
    """Which candidates' and which targets' name keys are rare (term frequency), set-based in SQL.

    How many targets and candidates carry each word of the names (from ``tokens_sql`` when the
    targets' counts are precomputed) gives the expected number of bearers of each name, the
    product of its words' frequencies over everybody; a name expected less than
    ``RARE_NAME_EXPECTED`` times is rare if no other candidate (for a candidate's name) or no other
    target (for a target's) bears it."""
    keys = cand_keys | target_keys
    if not keys:
        return set(), set()
    words = sorted({word for key in keys for word in key.split()})
    cursor.execute("SELECT count(*) FROM screen_cand")
    total = cursor.fetchone()[0]
    if target_total is None:
        cursor.execute(f"SELECT count(*) FROM {targets_sql}", params)
        target_total = cursor.fetchone()[0]
    total += target_total
    counts: dict[str, int] = defaultdict(int)
    cursor.execute(
        "SELECT w, count(*) FROM screen_cand c, unnest(string_to_array(c.name_key, ' ')) AS w"
        " WHERE w = ANY(%(_words)s) GROUP BY w",
        {"_words": words},
    )
    for word, n in cursor.fetchall():
        counts[word] += n
    if tokens_sql is not None:
        cursor.execute(
            f"SELECT tf.token, sum(tf.records) FROM {tokens_sql} WHERE tf.token = ANY(%(_words)s) GROUP BY tf.token",
            {**params, "_words": words},
        )
    else:
        cursor.execute(
            f"SELECT w, count(*) FROM {targets_sql}, unnest(string_to_array(t.name_key, ' ')) AS w"
            " WHERE w = ANY(%(_words)s) GROUP BY w",
            {**params, "_words": words},
        )
    for word, n in cursor.fetchall():
        counts[word] += int(n)

    def rare(key: str) -> bool:
        expected = float(total)
        for word in key.split():
            expected *= counts[word] / total
        return expected < RARE_NAME_EXPECTED

    rare_cands = sorted(k for k in cand_keys if rare(k))
    rare_targets = sorted(k for k in target_keys if rare(k))
    if not rare_cands or not rare_targets:
        return set(), set()
    cursor.execute(
        "SELECT c.name_key FROM screen_cand c WHERE c.name_key = ANY(%(_keys)s)"
        " GROUP BY c.name_key HAVING count(*) = 1",
        {"_keys": rare_cands},
    )
    unique_cands = {row[0] for row in cursor.fetchall()}
    cursor.execute(
        f"SELECT t.name_key FROM {targets_sql} WHERE t.name_key = ANY(%(_keys)s)"
        " GROUP BY t.name_key HAVING count(*) = 1",
        {**params, "_keys": rare_targets},
    )
    return unique_cands, {row[0] for row in cursor.fetchall()}
