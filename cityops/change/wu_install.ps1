# cityops: install the approved updates named by -KB on this host through the Windows Update Agent, as SYSTEM.
# Run by a scheduled task (schtasks /RU SYSTEM): the agent's COM API refuses the network logon of a remote shell
# (0x80070005), so the change's session only creates, runs and reads this task. PowerShell 2.0 and later.
# Writes one line per update to -Result: KB<number>|<ResultCode> (2 succeeded, 3 succeeded with errors, 4 failed,
# 5 aborted), then RebootRequired|True or False; a search or download that fails writes Error|<message>.
param([string]$KB = "", [string]$Result = "C:\ProgramData\cityops\wu-result.txt")
$ErrorActionPreference = "Stop"
$wanted = $KB.Split(",") | Where-Object { $_ -ne "" }
$lines = @()
try {
    $session = New-Object -ComObject Microsoft.Update.Session
    $searcher = $session.CreateUpdateSearcher()
    $found = $searcher.Search("IsInstalled=0 and Type='Software' and IsHidden=0")
    $todo = New-Object -ComObject Microsoft.Update.UpdateColl
    foreach ($u in $found.Updates) {
        foreach ($id in $u.KBArticleIDs) { if ($wanted -contains $id) { [void]$todo.Add($u) } }
    }
    if ($todo.Count -gt 0) {
        $downloader = $session.CreateUpdateDownloader()
        $downloader.Updates = $todo
        [void]$downloader.Download()
        $installer = $session.CreateUpdateInstaller()
        $installer.Updates = $todo
        $outcome = $installer.Install()
        for ($i = 0; $i -lt $todo.Count; $i++) {
            $lines += "KB" + $todo.Item($i).KBArticleIDs.Item(0) + "|" + $outcome.GetUpdateResult($i).ResultCode
        }
        $lines += "RebootRequired|" + $outcome.RebootRequired
    } else {
        $lines += "RebootRequired|False"
    }
} catch {
    $lines += "Error|" + $_.Exception.Message
}
Set-Content -Path $Result -Value $lines -Encoding ASCII
