# fish completion for plexform: `plexform completion fish | source`, or save it as
# ~/.config/fish/completions/plexform.fish. Candidates come from `plexform __complete`.
function __plexform_complete
	set -l cur (commandline -ct)
	set -l words (commandline -opc)
	set -l bin $words[1]
	set -e words[1]
	# "$cur" is one argument even when empty: the word being completed.
	set -l out ($bin __complete $words "$cur" 2>/dev/null)
	switch "$out[1]"
		case __plan_files__
			# Plan files and directories only (fish's __fish_complete_suffix falls back
			# to every file).
			string match -r -- '^.*(?:\.ya?ml|/)(?:\t.*)?$' (__fish_complete_path "$cur")
		case __files__
			__fish_complete_path (commandline -ct)
		case __dirs__
			__fish_complete_directories (commandline -ct)
		case '*'
			printf '%s\n' $out
	end
end
complete -c plexform -f -a '(__plexform_complete)'
