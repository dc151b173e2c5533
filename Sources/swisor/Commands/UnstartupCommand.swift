#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SwisorCore
import SwisorSystem

struct UnstartupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unstartup",
        abstract: "Disable and remove the systemd units that swisor startup installed.",
        discussion: """
        Runs `systemctl disable` on swisor.service and swisor.socket (swisor-<user>.* with --user), \
        removes them from /etc/systemd/system, then `systemctl daemon-reload` (skipped when systemd \
        is not running). A daemon the service started keeps running with its apps (stop it with \
        `swisor kill` or `systemctl stop` first); the home, its logs and the saved apps are kept. \
        Nothing installed is not an error. Needs root.
        """
    )

    @Option(help: ArgumentHelp(
        "Remove the units startup --user <name> installed (swisor-<name>.*); the user need not exist any more.",
        valueName: "name"))
    var user: String?

    @OptionGroup var location: UnitRootOption

    func validate() throws {
        try UnitRootOption.validate(user: user)
    }

    func run() throws {
        try UnitInstallation.requireRoot("unstartup")
        let place = UnitInstallation(root: location.root, user: user)
        // Refuse before touching anything when one of them is someone else's file.
        var installed: [String] = []
        for name in [place.serviceName, place.socketName] where try place.ownedUnit(name) != nil {
            installed.append(name)
        }
        var leftoverLinks: [String] = []
        for name in [place.serviceName, place.socketName] {
            if case .symlink = (try? FileSystem.kind(place.wantsLink(name))) ?? .missing {
                leftoverLinks.append(place.wantsLink(name))
            }
        }
        if installed.isEmpty && leftoverLinks.isEmpty {
            printOut("nothing to remove: no \(place.serviceName) or \(place.socketName) in \(place.unitDirectoryOnDisk)\n")
            return
        }

        var report = ""
        if !installed.isEmpty {
            let systemctl = try UnitInstallation.systemctl()
            let disabled = try place.systemctl(systemctl, ["disable"] + installed)
            report += "disabled \(installed.joined(separator: " and "))\n" + UnitInstallation.indented(disabled.output)
            for name in installed {
                do {
                    try FileSystem.remove(place.unitPath(name))
                } catch {
                    throw CLIError("cannot remove \(place.unitPath(name)): \(error)")
                }
                report += "removed \(place.unitPath(name))\n"
            }
            if !place.offline {
                _ = try place.systemctl(systemctl, ["daemon-reload"])
                report += "reloaded systemd's units (systemctl daemon-reload)\n"
            }
        }
        // Enable symlinks whose unit is gone (removed by hand) would point nowhere.
        for link in leftoverLinks {
            if case .symlink = (try? FileSystem.kind(link)) ?? .missing {
                do {
                    try FileSystem.remove(link)
                } catch {
                    throw CLIError("cannot remove \(link): \(error)")
                }
                report += "removed \(link)\n"
            }
        }
        if place.root.isEmpty, !installed.isEmpty {
            report += "a daemon the service started keeps running; its home and saved apps are kept\n"
        }
        printOut(report)
    }
}
