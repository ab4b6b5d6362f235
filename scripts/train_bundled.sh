#!/usr/bin/env bash
# Trains the bundled style networks, one after another, with the product's own trainer.
#   scripts/train_bundled.sh [PHOTOS_DIR] [STEPS] [style ...]
# Each run checkpoints to runs/NAME/ and resumes when started again; a finished style
# (its manifest exists with the same number of steps) is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
photos="${1:-../shared/data/photos}"
steps="${2:-1000}"
shift $(( $# > 2 ? 2 : $# ))
python="${PYTHON:-python}"

declare -A title artist year
title[starry_night]="The Starry Night";       artist[starry_night]="Vincent van Gogh"; year[starry_night]=1889
title[wave]="The Great Wave off Kanagawa";    artist[wave]="Katsushika Hokusai";       year[wave]="c. 1831"
title[the_scream]="The Scream";               artist[the_scream]="Edvard Munch";       year[the_scream]=1893
title[udnie]="Udnie";                         artist[udnie]="Francis Picabia";         year[udnie]=1913
title[composition_vii]="Composition VII";     artist[composition_vii]="Wassily Kandinsky"; year[composition_vii]=1913

styles=("$@")
[ ${#styles[@]} -gt 0 ] || styles=(starry_night wave the_scream udnie composition_vii)
mkdir -p styles/models
for name in "${styles[@]}"; do
    manifest="styles/models/$name.json"
    if [ -f "$manifest" ] && "$python" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["steps"] != int(sys.argv[2]))' "$manifest" "$steps"; then
        echo "== $name: already trained for $steps steps"; continue
    fi
    echo "== $name"
    "$python" -m core train-fast --style "styles/$name.jpg" --photos "$photos" \
        --out "styles/models/$name.weights.h5" --steps "$steps" \
        --display-name "${title[$name]:-$name}" --artist "${artist[$name]:-unknown}" \
        --year "${year[$name]:-unknown}" \
        --licence "public domain" ${TRAIN_ARGS:-}
done
