# bash completion for plexform: `source <(plexform completion bash)`, or save it as
# /etc/bash_completion.d/plexform. Candidates come from `plexform __complete WORDS...`,
# which knows the commands, their flags and the backups restore can put back.
_plexform() {
	local cur=${COMP_WORDS[COMP_CWORD]} out IFS=$'\n' f
	out=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
	COMPREPLY=()
	case $out in
	__plan_files__)
		compopt -o filenames 2>/dev/null
		for f in $(compgen -f -- "$cur"); do
			if [[ -d $f || $f == *.yaml || $f == *.yml ]]; then COMPREPLY+=("$f"); fi
		done
		;;
	__files__)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	__dirs__)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	*)
		COMPREPLY=($(compgen -W "$out" -- "$cur"))
		;;
	esac
}
complete -F _plexform plexform
