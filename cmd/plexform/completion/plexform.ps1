# PowerShell completion for plexform: `plexform completion powershell | Out-String | Invoke-Expression`,
# or add that line to $PROFILE. Candidates come from `plexform __complete WORDS...`.
Register-ArgumentCompleter -Native -CommandName plexform, plexform.exe -ScriptBlock {
	param($wordToComplete, $commandAst, $cursorPosition)
	$words = @($commandAst.CommandElements | Where-Object { $_.Extent.StartOffset -lt $cursorPosition } | ForEach-Object { $_.ToString() })
	# An empty word to complete is passed as "" (PowerShell 7.3 or newer passes it as it is).
	if ($wordToComplete -eq '') { $words += '' }
	$out = @(& $words[0] __complete $words[1..($words.Count - 1)] 2>$null)
	switch ($out[0]) {
		'__plan_files__' { Get-ChildItem -Path "$wordToComplete*" -ErrorAction SilentlyContinue | Where-Object { $_.PSIsContainer -or $_.Extension -in '.yaml', '.yml' } | ForEach-Object { [System.Management.Automation.CompletionResult]::new($_.Name, $_.Name, 'ProviderItem', $_.Name) } }
		'__files__' { Get-ChildItem -Path "$wordToComplete*" -ErrorAction SilentlyContinue | ForEach-Object { [System.Management.Automation.CompletionResult]::new($_.Name, $_.Name, 'ProviderItem', $_.Name) } }
		'__dirs__' { Get-ChildItem -Path "$wordToComplete*" -Directory -ErrorAction SilentlyContinue | ForEach-Object { [System.Management.Automation.CompletionResult]::new($_.Name, $_.Name, 'ProviderContainer', $_.Name) } }
		default { $out | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) } }
	}
}
