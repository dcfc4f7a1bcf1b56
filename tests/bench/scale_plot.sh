#!/usr/bin/env bash
# scale_plot.sh: the curves of scale.sh as PNGs, with gnuplot.
#
#   tests/bench/scale_plot.sh OUT_DIR DOCS_DIR
#
# For each OUT_DIR/<curve>.tsv that scale.sh wrote (conns, children,
# newconn, http), writes DOCS_DIR/scale-<curve>.png: requests/s on the left
# panel, p99 latency on the right, tine and the other side (the floor or
# nginx + lua, named by the TSV's header) on both, log-scale x. Needs
# gnuplot (Debian: apt-get install gnuplot-nox); a bench tool, not a test
# dependency.
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 OUT_DIR DOCS_DIR" >&2; exit 2; }
OUT=$1 DOCS=$2
command -v gnuplot >/dev/null || { echo "missing gnuplot (apt-get install gnuplot-nox)" >&2; exit 2; }
mkdir -p "$DOCS"

declare -A TITLE=(
  [conns]="Line echo, 2 children / 2 workers, persistent connections"
  [children]="Line echo, persistent connections, by children / workers"
  [newconn]="Line echo, a new connection per request, by children / workers"
  [http]="HTTP keep-alive GET /hello, 2 workers each, by connections"
)

# One PNG from one TSV. usage: plot CURVE
plot() {
  local tsv=$OUT/$1.tsv png=$DOCS/scale-$1.png xname other base=10
  xname=$(head -1 "$tsv" | cut -f1 | sed 's/^# //')
  other=$(head -1 "$tsv" | cut -f4 | sed 's/_rps$//')
  [ "$other" = nginx ] && other="nginx + lua"
  [ "$xname" = children ] && base=2
  gnuplot <<EOF
set terminal pngcairo size 1200,480 font "sans,10"
set output "$png"
set datafile separator "\t"
set multiplot layout 1,2 title "${TITLE[$1]:-$1} (tests/bench/scale.sh)"
set logscale x $base
set xtics ($(awk -F'\t' 'NR > 1 {printf "%s\"%s\" %s", (n++ ? ", " : ""), $1, $1}' "$tsv"))
set xrange [$(awk -F'\t' 'NR == 2 {a = $1} NR > 1 {b = $1} END {printf "%g:%g", a / 1.4, b * 1.4}' "$tsv")]
set xlabel "$xname"
set key bottom left
set grid
set yrange [0:*]
set ylabel "requests/s"
set format y "%.0f"
plot "$tsv" using 1:2 with linespoints lw 2 pt 7 title "tine", \
     "$tsv" using 1:4 with linespoints lw 2 pt 5 title "$other"
set logscale y
set yrange [*:*]
set ylabel "p99 latency, ms"
set format y "%g"
set key top left
plot "$tsv" using 1:3 with linespoints lw 2 pt 7 title "tine", \
     "$tsv" using 1:5 with linespoints lw 2 pt 5 title "$other"
unset multiplot
EOF
  echo "$png"
}

n=0
for curve in conns children newconn http; do
  [ -s "$OUT/$curve.tsv" ] || continue
  plot "$curve"
  n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no <curve>.tsv in $OUT" >&2; exit 1; }
