"""splink as a baseline for screening: splink 4 on DuckDB, set up the way its documentation
and tutorials set up person linkage, linking notices to the register (`link_only`).

    .venv-splink/bin/python bench/splink_baseline.py DIR [--blocking-counts] [--model FILE]

DIR holds notices.csv, register.csv and truth.csv from make_screening_data.py. splink runs in
its own venv (.venv-splink, requirements-bench-splink.txt: its dependency tree must not touch
hoptac's). Progress goes to stderr; the last line on stdout is one JSON object:

- seconds: wall time of the splink work (reading the CSVs, preparing the columns, training,
  predicting); peak_mb: the process's peak RSS (--model FILE saves the trained model);
- recall, precision, f1, hits, variant_recall, cross_script_recall/precision/f1 of the pairs
  at THRESHOLD (bench/metrics.py says what each means), threshold;
- comparisons: the pairs the prediction blocking rules generate (with --blocking-counts,
  counted after the timed run, per rule in comparisons_per_rule);
- oracle: the match probability that gives the best F1 on truth.csv and its scores. It is
  chosen on the answers, so it is splink's ceiling here, not its result.

The model, as in splink's person-linkage examples (deduplicate_50k_synthetic, febrl4):

- Columns. The data has one `name`; it is lowercased, accents stripped (đ -> d), hyphens
  dropped (`Dae-jung` = `Daejung`), other punctuation made spaces, then split: surname = the
  first word, forename = the other words joined (`Jian Guo` = `Jianguo`). A name in Chinese
  characters or hangul written without spaces is split after its first character (the
  family name). A notice's alternative names (`alt_names`) become extra notice rows, the
  usual way to give splink several names of one person; a notice's match probability with a
  record is the best over its names. `dob` is birth_date when it is a full YYYY-MM-DD date,
  else null (YYYY and YYYY-MM dates give no evidence either way in the date comparison);
  `birth_year` is its first four characters, used only for blocking. Blank fields are null.
- Comparisons (splink.comparison_library): ForenameSurnameComparison (exact, reversed,
  Jaro-Winkler >= 0.92 and >= 0.88 on both, exact surname, exact forename; term-frequency
  adjusted on the full name), DateOfBirthComparison on `dob` (exact, Damerau-Levenshtein 1,
  1 month, 1 year, 10 years), ExactMatch on sex, nationality and document_number.
- Blocking for prediction: blocking_rules() (exact names, the names reversed, date of
  birth, document number, name prefixes with the birth year, forename with the birth
  year): 9,004 pairs at 2,000 x 20,000, 228,835 at 10,000 x 100,000 and 22.0 million at
  100,000 x 1,000,000 (seed 42).
- Training: probability_two_random_records_match from deterministic rules (same names and
  date of birth; same document number) at an assumed recall of 0.6, u by random sampling
  (1e7 pairs, fixed seed), m by expectation maximisation (EM) blocked on the names, then on
  the date of birth, as in the examples, with two changes made by reading the trained m
  values (what an analyst sees in splink's match weights chart, no labels needed): with the
  examples' plain rules EM settled on the wrong class at 10,000 x 100,000 and up - within
  the names block the pairs that agree on sex and nationality (m of an exact date of birth
  0.02), within the date-of-birth block the pairs that share a surname (m of an exact full
  name 0.09 at 100,000 x 1,000,000). So the names block also requires the same sex and
  nationality, and the date-of-birth session keeps probability_two_random_records_match
  fixed (splink's `fix_probability_two_random_records_match`).
- Prediction: pairs with match probability >= THRESHOLD (0.9, fixed in advance, never tuned
  on the truth).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

from metrics import Pair, f1, read_truth, score

THRESHOLD = 0.9  # the headline: match probability, fixed in advance
ORACLE_FLOOR = 0.01  # predictions down to this are kept to find the oracle threshold
U_PAIRS = 1e7  # pairs sampled for the u estimates (splink's docs: "1e7 or more")
SEED = 42
PRIOR_RECALL = 0.6  # assumed recall of the deterministic rules for the prior

# Lowercase, strip accents (đ is a letter of its own for strip_accents), drop hyphens, other
# punctuation to spaces.
PREPARE_SQL = r"""
create or replace macro clean_name(s) as trim(regexp_replace(regexp_replace(
    strip_accents(replace(lower(s), 'đ', 'd')), '[-‐]', '', 'g'), '[^\p{L}\p{N}]+', ' ', 'g'));
create or replace macro is_cjk(c) as regexp_matches(c, '^[\p{Han}\p{Hangul}]{2,}$');
create or replace macro surname_of(c) as
    case when is_cjk(c) then substr(c, 1, 1) else nullif(split_part(c, ' ', 1), '') end;
create or replace macro forename_of(c) as nullif(
    case when is_cjk(c) then substr(c, 2)
         else replace(substr(c, length(split_part(c, ' ', 1)) + 2), ' ', '') end, '');
create or replace macro full_date(d) as
    case when regexp_full_match(d, '\d{4}-\d{2}-\d{2}') then d end;
create or replace macro blank_null(s) as nullif(trim(s), '');

create or replace table notice_names as
with notices as (
    select * from read_csv($notices, header = true, all_varchar = true)
), names as (
    select notice_id, birth_date, sex, nationality, document_number,
           unnest([name] || string_split(coalesce(alt_names, ''), ';')) as raw_name
    from notices
), numbered as (
    select *, row_number() over (partition by notice_id) as k
    from names where blank_null(raw_name) is not null
)
select notice_id || '|' || k as unique_id, clean_name(raw_name) as clean,
       birth_date, sex, nationality, document_number
from numbered;

create or replace table register_names as
select record_id as unique_id, clean_name(name) as clean,
       birth_date, sex, nationality, document_number
from read_csv($register, header = true, all_varchar = true);
"""

COLUMNS_SQL = """
create or replace table {table} as
select unique_id, surname_of(clean) as surname, forename_of(clean) as forename,
       nullif(clean, '') as full_name, full_date(blank_null(birth_date)) as dob,
       substr(blank_null(birth_date), 1, 4) as birth_year, blank_null(sex) as sex,
       blank_null(nationality) as nationality, blank_null(document_number) as document_number
from {source}
"""


def blocking_rules() -> list[Any]:
    from splink import block_on

    return [
        block_on("surname", "forename"),
        "l.surname = r.forename and l.forename = r.surname",
        block_on("dob"),
        block_on("document_number"),
        block_on("substr(surname, 1, 2)", "substr(forename, 1, 2)", "birth_year"),
        block_on("forename", "birth_year"),
    ]


def settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=blocking_rules(),
        comparisons=[
            cl.ForenameSurnameComparison(
                "forename", "surname", forename_surname_concat_col_name="full_name"
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nationality"),
            cl.ExactMatch("document_number"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def link(folder: Path, con: Any, model: Path | None = None) -> dict[Pair, float]:
    """Train splink and predict; (notice_id, record_id) -> the best match probability over
    the notice's names, for the pairs at ORACLE_FLOOR or above. `model`: where to save the
    trained model (splink's JSON)."""
    from splink import DuckDBAPI, Linker, block_on

    sql = PREPARE_SQL
    for name in ("notices", "register"):
        sql = sql.replace(f"${name}", "'{}'".format(str(folder / f"{name}.csv").replace("'", "''")))
    con.execute(sql)
    con.execute(COLUMNS_SQL.format(table="notices_in", source="notice_names"))
    con.execute(COLUMNS_SQL.format(table="register_in", source="register_names"))

    linker = Linker(
        ["notices_in", "register_in"],
        settings(),
        db_api=DuckDBAPI(con),
        input_table_aliases=["notices", "register"],
        set_up_basic_logging=False,
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("surname", "forename", "dob"), block_on("document_number")],
        recall=PRIOR_RECALL,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
    # m by EM on two blocks, each estimating what the other fixes (see the docstring).
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname", "forename", "sex", "nationality"),
        estimate_without_term_frequencies=True,
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"),
        estimate_without_term_frequencies=True,
        fix_probability_two_random_records_match=True,
    )
    if model is not None:
        linker.misc.save_model_to_json(str(model), overwrite=True)
    predictions = linker.inference.predict(threshold_match_probability=ORACLE_FLOOR)
    rows = con.sql(
        f"""
        select split_part(unique_id_l, '|', 1) as notice_id, unique_id_r as record_id,
               max(match_probability) as p
        from {predictions.physical_name}
        group by all
        """
    ).fetchall()
    return {(notice, record): float(p) for notice, record, p in rows}


def blocking_counts(con: Any) -> dict[str, int]:
    """Comparisons each prediction rule adds to the ones before it."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import (
        cumulative_comparisons_to_be_scored_from_blocking_rules_data,
    )

    data = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables=["notices_in", "register_in"],
        blocking_rules=blocking_rules(),
        link_type="link_only",
        db_api=DuckDBAPI(con),
        unique_id_column_name="unique_id",
    )
    return {
        str(rule): int(count)
        for rule, count in zip(data["blocking_rule"], data["row_count"], strict=True)
    }


def oracle(scored: dict[Pair, float], truth: dict[Pair, str]) -> dict[str, Any]:
    """The match probability with the best F1 on truth, and the scores there."""
    best, best_f1, right = ORACLE_FLOOR, -1.0, 0
    ranked = sorted(scored.items(), key=lambda item: -item[1])
    for i, (pair, p) in enumerate(ranked):
        right += pair in truth
        last_of_tie = i + 1 == len(ranked) or ranked[i + 1][1] < p
        value = f1(right / len(truth), right / (i + 1)) if truth else 0.0
        if last_of_tie and value > best_f1:
            best, best_f1 = p, value
    result = score({pair for pair, p in scored.items() if p >= best}, truth)
    return {"threshold": best, **{k: v for k, v in result.items() if k != "variant_recall"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="holds notices, register and truth CSVs")
    parser.add_argument(
        "--blocking-counts",
        action="store_true",
        help="also count the comparisons of each prediction blocking rule (not timed)",
    )
    parser.add_argument("--model", type=Path, help="save the trained model (JSON) here")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, format="%(message)s")
    logging.getLogger("splink").setLevel(logging.INFO)

    import duckdb

    con = duckdb.connect()
    with contextlib.redirect_stdout(sys.stderr):
        start = time.perf_counter()
        scored = link(args.directory, con, args.model)
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        counts = blocking_counts(con) if args.blocking_counts else {}

    truth = read_truth(args.directory)
    found = {pair for pair, p in scored.items() if p >= THRESHOLD}
    result: dict[str, Any] = {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "threshold": THRESHOLD,
        **score(found, truth),
        "oracle": oracle(scored, truth),
    }
    if counts:
        result["comparisons"] = sum(counts.values())
        result["comparisons_per_rule"] = counts
    print(json.dumps(result))


if __name__ == "__main__":
    main()
