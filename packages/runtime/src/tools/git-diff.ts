/**
 * A bash script that prints every change in the workspace as a coloured unified diff: committed
 * history against the working tree, staged and unstaged edits, deletions, and new files that git
 * does not track yet (which a plain `git diff` leaves out). New files are marked intent-to-add in a
 * throw-away copy of the index, so the user's real index, and what they staged, stay untouched.
 * Run it with `runCommand` in the workspace.
 */
export const GIT_DIFF_SCRIPT = `
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "The workspace is not a git repository, so there is nothing to diff against." >&2
  exit 128
fi
index=$(mktemp) || exit 1
trap 'rm -f "$index"' EXIT
real_index=$(git rev-parse --git-path index)
if [ -f "$real_index" ]; then cp "$real_index" "$index"; else rm -f "$index"; fi
base=$(git rev-parse --verify --quiet HEAD || git hash-object -t tree /dev/null)
GIT_INDEX_FILE="$index" git add --all --intent-to-add -- . 2>/dev/null
GIT_INDEX_FILE="$index" git -c color.ui=always --no-pager diff --exit-code "$base" -- .
status=$?
case $status in
  0) echo "No changes." ;;
  1) ;;
  *) exit $status ;;
esac
exit 0
`;
