#compdef plexform
# zsh completion for plexform: `source <(plexform completion zsh)`, or save it as _plexform
# in a directory of $fpath. Candidates come from `plexform __complete WORDS...`.
_plexform() {
	local -a out
	out=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
	case ${out[1]} in
	__plan_files__) _files -g '*.(yaml|yml)' ;;
	__files__) _files ;;
	__dirs__) _files -/ ;;
	*) compadd -- ${out:#} ;;
	esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
	_plexform "$@"
else
	compdef _plexform plexform
fi
