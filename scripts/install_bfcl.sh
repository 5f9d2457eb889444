#!/usr/bin/env bash
# Install the BFCL v4 evaluation package (PyPI `bfcl-eval`) for `awpo eval` and its agreement tests.
#
# A plain `pip install bfcl-eval` pulls ~6 GB (CUDA torch, sentence-transformers) and still fails to
# import its checker. We install the package with --no-deps and then only what its checker modules
# import, at the versions its metadata pins (the AST checker imports bfcl_eval.constants.model_config, which imports every model handler,
# hence the API client libraries). About 570 MB, no torch. See docs/DATA.md "BFCL".
set -euo pipefail
BFCL_EVAL_VERSION="${BFCL_EVAL_VERSION:-2026.3.23}"
python -m pip install -q --no-deps "bfcl-eval==${BFCL_EVAL_VERSION}"
python -m pip install -q \
  requests tqdm numpy pandas huggingface_hub pydantic python-dotenv \
  "tree_sitter==0.21.3" "tree-sitter-java==0.21.0" "tree-sitter-javascript==0.21.4" \
  openai "mistralai==1.7.0" anthropic "cohere==5.18.0" typer tabulate "datamodel-code-generator==0.25.7" google-genai \
  qwen-agent soundfile "mpmath==1.3.0" tenacity writer-sdk overrides boto3 beautifulsoup4 html2text \
  "rank_bm25==0.2.2" google-search-results networkx filelock
# BFCL_PROJECT_ROOT keeps bfcl_eval from creating result/ and score/ folders inside site-packages.
BFCL_PROJECT_ROOT="$(mktemp -d)" python -c "from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker; from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker"
echo "bfcl-eval ${BFCL_EVAL_VERSION} installed; its checkers import"
