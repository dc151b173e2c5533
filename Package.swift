// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swisor",
    platforms: [.macOS(.v13)],
    products: [
        // The CLI users type, and the daemon it starts (installed beside it): two
        // executables so that the CLI links neither the daemon's code nor libsystemd
        // (docs/design.md, "CLI start-up").
        .executable(name: "swisor", targets: ["swisor"]),
        .executable(name: "swisord", targets: ["swisord"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Heap for the event loop's timers, Deque for the log writer's queues and the
        // CLI's last-lines rings (docs/design.md, "Libraries over hand-written code").
        // Only these two products: the other modules are not compiled.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // Everything that must run between fork and exec, plus the few Linux calls
        // Swift cannot make directly (variadic syscall(2), CMSG macros, struct ucred).
        .target(name: "CSwisor"),
        // libsystemd through pkg-config: sd_notify and sd_journal_sendv only
        // (the variadic sd_* functions cannot be called from Swift). Linked by the daemon
        // alone: libsystemd and the six libraries it loads cost the CLI ~1 ms a start.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // zlib, for gzip-compressed rotated logs (gzdopen/gzwrite: plain functions).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // libyaml, for YAML ecosystem files: its event parser only (docs/design.md,
        // "YAML ecosystem files": Yams would bring Foundation, ~5 ms on every CLI start).
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // Pure core: ecosystem model and validation, policy, protocol. No syscalls
        // (libyaml parses from memory: no syscalls either).
        .target(name: "SwisorCore", dependencies: ["CLibYAML"]),
        // Linux layer: file descriptors, event loop, spawn, /proc, sockets, containment.
        .target(
            name: "SwisorSystem",
            dependencies: [
                "CSwisor", "CZlib", "SwisorCore",
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The part of the Linux layer that calls libsystemd (notify, socket activation,
        // the journal): the daemon's only.
        .target(name: "SwisorSystemd", dependencies: ["CSystemd", "SwisorSystem"]),
        // The supervisor itself, driven by the event loop.
        .target(
            name: "SwisorDaemon",
            dependencies: [
                "SwisorCore", "SwisorSystem", "SwisorSystemd",
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The CLI: thin, and nothing of the daemon's (it starts `swisord`).
        .executableTarget(
            name: "swisor",
            dependencies: [
                "SwisorCore", "SwisorSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The daemon's executable: a few options, parsed by hand.
        .executableTarget(name: "swisord", dependencies: ["SwisorCore", "SwisorSystem", "SwisorDaemon"]),
        .testTarget(name: "SwisorCoreTests", dependencies: ["SwisorCore"]),
        .testTarget(
            name: "SwisorDaemonTests",
            dependencies: [
                "SwisorCore", "SwisorSystem", "SwisorDaemon",
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .testTarget(name: "SwisorIntegrationTests", dependencies: ["SwisorCore", "SwisorSystem", "SwisorSystemd"]),
    ],
    swiftLanguageModes: [.v6]
)
