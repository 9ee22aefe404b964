; Inno Setup script for Shoebox: installs PyInstaller's dist\Shoebox\ folder (packaging/shoebox.spec) per user,
; with a Start-menu entry, an optional desktop icon and an uninstaller.
;   iscc /DAppVersion=0.1.0 packaging\windows\shoebox.iss      (python packaging\build.py does this)
; Output: dist\Shoebox-<version>-windows-x64-setup.exe. The library (photos database) is never removed on
; uninstall: it lives in the user's data folder, not here.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{7C1F4B2E-5B1D-4E0A-9C7B-5D0E8A6F3B21}
AppName=Shoebox
AppVersion={#AppVersion}
AppPublisher=Shoebox
DefaultDirName={autopf}\Shoebox
DefaultGroupName=Shoebox
DisableProgramGroupPage=yes
; Per-user install by default (no admin prompt); the user may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Shoebox-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\build\shoebox\icons\shoebox.ico
UninstallDisplayIcon={app}\Shoebox.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\Shoebox\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Shoebox"; Filename: "{app}\Shoebox.exe"
Name: "{group}\Uninstall Shoebox"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Shoebox"; Filename: "{app}\Shoebox.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Shoebox.exe"; Description: "{cm:LaunchProgram,Shoebox}"; Flags: nowait postinstall skipifsilent
