# fish completion for plexform: `plexform completion fish | source`, or save it as
# ~/.config/fish/completions/plexform.fish. Candidates come from `plexform __complete`.
function __plexform_complete
	set -l words (commandline -opc) (commandline -ct)
	set -l out ($words[1] __complete $words[2..-1] 2>/dev/null)
	switch "$out[1]"
		case __plan_files__
			__fish_complete_suffix .yaml
			__fish_complete_suffix .yml
		case __files__
			__fish_complete_path (commandline -ct)
		case __dirs__
			__fish_complete_directories (commandline -ct)
		case '*'
			printf '%s\n' $out
	end
end
complete -c plexform -f -a '(__plexform_complete)'
