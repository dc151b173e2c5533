import Testing

@testable import SwisorCore

/// mountinfo and /proc/self/cgroup texts of the hosts swisor meets.
enum CgroupHosts {
    static let ordinaryMounts = """
        22 29 0:20 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw
        24 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        29 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
        """

    /// Ubuntu 22.04: cgroup2 only, at /sys/fs/cgroup.
    static let pureV2Mountinfo = ordinaryMounts + """

        35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot

        """
    static let systemdServiceCgroup = "0::/system.slice/swisor.service\n"

    /// A Docker container without a cgroup namespace: the container's cgroup is
    /// bind-mounted at /sys/fs/cgroup (no optional fields before the dash).
    static let containerMountinfo = """
        600 550 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
        612 603 0:26 /docker/abc /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate

        """
    /// A container with its own cgroup namespace: the mount's root is "/".
    static let containerNamespaceMountinfo = """
        612 603 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate

        """

    /// This build machine: v1 controllers one per hierarchy, a controller-less cgroup2
    /// at /sys/fs/cgroup/unified.
    static let hybridMountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw

        """
    static let hybridCgroup = """
        9:name=systemd:/
        8:pids:/
        7:blkio:/
        6:freezer:/
        5:devices:/
        4:memory:/process_api/8c9c92e759a090aeda75562aef18feab
        3:cpuset:/
        2:cpuacct:/
        1:cpu:/
        0::/

        """

    /// systemd on Ubuntu 20.04 / Debian 10: "cpu,cpuacct" in one hierarchy, systemd's
    /// named hierarchy with xattr, the daemon in a login session.
    static let hybridCombinedMountinfo = ordinaryMounts + """

        25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
        26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
        27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
        30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
        31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
        32 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
        33 25 0:31 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpuset,clone_children

        """
    static let hybridCombinedCgroup = """
        12:pids:/user.slice/user-1000.slice/session-2.scope
        5:memory:/user.slice/user-1000.slice/session-2.scope
        4:cpu,cpuacct:/user.slice
        3:cpuset:/
        1:name=systemd:/user.slice/user-1000.slice/session-2.scope
        0::/user.slice/user-1000.slice/session-2.scope

        """

    /// CentOS 7: v1 only, a kernel without cgroup2 (no "0::" line).
    static let v1OnlyMountinfo = ordinaryMounts + """

        25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
        27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
        30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpuacct,cpu
        31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory

        """
    static let v1OnlyCgroup = """
        5:memory:/system.slice/swisor.service
        3:cpuacct,cpu:/system.slice/swisor.service
        1:name=systemd:/system.slice/swisor.service

        """
}

@Suite("cgroup mountinfo and membership")
struct CgroupParseTests {
    @Test func pureV2MountinfoHasOneCgroup2Mount() {
        let mounts = CgroupMount.parse(mountinfo: CgroupHosts.pureV2Mountinfo)
        #expect(mounts == [CgroupMount(fsType: "cgroup2", mountPoint: "/sys/fs/cgroup", root: "/", controllers: [])])
    }

    @Test func hybridMountinfoListsV1ControllersPerHierarchy() {
        let mounts = CgroupMount.parse(mountinfo: CgroupHosts.hybridMountinfo)
        #expect(mounts.count == 10)  // the tmpfs is not a cgroup mount
        #expect(mounts.first { $0.mountPoint == "/sys/fs/cgroup/memory" }?.controllers == ["memory"])
        #expect(mounts.first { $0.mountPoint == "/sys/fs/cgroup/pids" }?.controllers == ["pids"])
        // A named hierarchy has no controller.
        #expect(mounts.first { $0.mountPoint == "/sys/fs/cgroup/systemd" }?.controllers == [])
        let unified = mounts.filter { $0.fsType == "cgroup2" }
        #expect(unified == [CgroupMount(fsType: "cgroup2", mountPoint: "/sys/fs/cgroup/unified", root: "/", controllers: [])])
    }

    @Test func combinedAndOptionLadenV1Mounts() {
        let mounts = CgroupMount.parse(mountinfo: CgroupHosts.hybridCombinedMountinfo + CgroupHosts.v1OnlyMountinfo)
        #expect(mounts.first { $0.mountPoint == "/sys/fs/cgroup/cpu,cpuacct" }?.controllers == ["cpu", "cpuacct"])
        #expect(mounts.first { $0.mountPoint == "/sys/fs/cgroup/cpuset" }?.controllers == ["cpuset"])
        // xattr, release_agent=..., name=... are options, not controllers.
        #expect(mounts.filter { $0.mountPoint == "/sys/fs/cgroup/systemd" }.allSatisfy { $0.controllers.isEmpty })
        #expect(mounts.contains { $0.controllers == ["cpuacct", "cpu"] })
    }

    @Test func containerMountWithoutOptionalFields() {
        let mounts = CgroupMount.parse(mountinfo: CgroupHosts.containerMountinfo)
        #expect(mounts == [CgroupMount(fsType: "cgroup2", mountPoint: "/sys/fs/cgroup", root: "/docker/abc", controllers: [])])
    }

    @Test func octalEscapesInRootAndMountPoint() {
        let text = #"40 31 0:38 /a\040b /mnt/cg\040two\011tab\134x rw,relatime - cgroup2 none rw"# + "\n"
            + #"41 31 0:39 / /mnt/odd\04 rw - cgroup cgroup rw,memory"#
        let mounts = CgroupMount.parse(mountinfo: text)
        #expect(mounts.count == 2)
        #expect(mounts[0].root == "/a b")
        #expect(mounts[0].mountPoint == "/mnt/cg two\ttab\\x")
        // A truncated escape is kept as it is.
        #expect(mounts[1].mountPoint == #"/mnt/odd\04"#)
        #expect(mounts[1].controllers == ["memory"])
    }

    @Test func malformedLinesAreSkipped() {
        let text = """
            garbage
            1 2 3 - cgroup2 cgroup2 rw
            35 24 0:30 / /sys/fs/cgroup rw - cgroup2

            """
        #expect(CgroupMount.parse(mountinfo: text).isEmpty)
        #expect(CgroupMount.parse(mountinfo: "").isEmpty)
    }

    @Test func membershipLines() {
        let m = CgroupMembership.parse(CgroupHosts.hybridCombinedCgroup + "0x:bad\n7:x\n")
        #expect(m.count == 6)
        #expect(m[2] == CgroupMembership(hierarchy: 4, controllers: ["cpu", "cpuacct"], path: "/user.slice"))
        #expect(m[4].controllers == ["name=systemd"])
        #expect(m[5] == CgroupMembership(hierarchy: 0, controllers: [], path: "/user.slice/user-1000.slice/session-2.scope"))
    }

    @Test func membershipPathMayHoldColons() {
        #expect(CgroupMembership.parse("0::/odd:name:here") == [CgroupMembership(hierarchy: 0, controllers: [], path: "/odd:name:here")])
    }
}

@Suite("cgroup layout per host kind")
struct CgroupLayoutTests {
    typealias Location = CgroupLayout.Location

    @Test func pureV2UnderSystemd() {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.pureV2Mountinfo, selfCgroup: CgroupHosts.systemdServiceCgroup)
        let unified = Location(mountPoint: "/sys/fs/cgroup", path: "/system.slice/swisor.service")
        #expect(layout == CgroupLayout(unified: unified, v1: [:], problem: nil))
        #expect(layout.unified?.directory == "/sys/fs/cgroup/system.slice/swisor.service")
        #expect(layout.unified?.isRoot == false)
    }

    @Test func pureV2AtTheRoot() throws {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.pureV2Mountinfo, selfCgroup: "0::/\n")
        let unified = try #require(layout.unified)
        #expect(unified.isRoot)
        #expect(unified.directory == "/sys/fs/cgroup")
    }

    @Test func containerSeesItsCgroupAsTheMountRoot() throws {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.containerMountinfo, selfCgroup: "0::/docker/abc\n")
        let unified = try #require(layout.unified)
        #expect(unified == Location(mountPoint: "/sys/fs/cgroup", path: "/"))
        #expect(unified.directory == "/sys/fs/cgroup")
        #expect(layout.problem == nil)
    }

    @Test func containerSubgroupBelowTheMountRoot() throws {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.containerMountinfo, selfCgroup: "0::/docker/abc/init\n")
        #expect(layout.unified == Location(mountPoint: "/sys/fs/cgroup", path: "/init"))
        #expect(layout.unified?.directory == "/sys/fs/cgroup/init")
    }

    @Test func containerWithACgroupNamespace() {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.containerNamespaceMountinfo, selfCgroup: "0::/\n")
        #expect(layout.unified == Location(mountPoint: "/sys/fs/cgroup", path: "/"))
    }

    @Test func aCgroupOutsideTheMountedSubtreeIsNotVisible() {
        // "/docker/abcdef" only shares a string prefix with the mounted "/docker/abc".
        for path in ["/docker/abcdef", "/", "/system.slice"] {
            let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.containerMountinfo, selfCgroup: "0::\(path)\n")
            #expect(layout.unified == nil)
            #expect(layout.problem == "the daemon's cgroup2 \(path) is not visible under any cgroup2 mount")
        }
    }

    @Test func theFirstCgroup2MountThatShowsTheCgroupWins() {
        let text = """
            50 24 0:30 /other /mnt/other rw - cgroup2 cgroup2 rw
            51 24 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw

            """
        let layout = CgroupLayout.resolve(mountinfo: text, selfCgroup: "0::/a/b\n")
        #expect(layout.unified == Location(mountPoint: "/sys/fs/cgroup", path: "/a/b"))
    }

    @Test func hybridLikeThisMachine() {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.hybridMountinfo, selfCgroup: CgroupHosts.hybridCgroup)
        #expect(layout.problem == nil)
        #expect(layout.unified == Location(mountPoint: "/sys/fs/cgroup/unified", path: "/"))
        #expect(layout.v1 == [
            .memory: Location(mountPoint: "/sys/fs/cgroup/memory", path: "/process_api/8c9c92e759a090aeda75562aef18feab"),
            .pids: Location(mountPoint: "/sys/fs/cgroup/pids", path: "/"),
            .cpu: Location(mountPoint: "/sys/fs/cgroup/cpu", path: "/"),
        ])
        #expect(layout.v1[.memory]?.directory == "/sys/fs/cgroup/memory/process_api/8c9c92e759a090aeda75562aef18feab")
        #expect(layout.v1[.cpu]?.directory == "/sys/fs/cgroup/cpu")
    }

    @Test func hybridWithCombinedCpuHierarchy() {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.hybridCombinedMountinfo, selfCgroup: CgroupHosts.hybridCombinedCgroup)
        let session = "/user.slice/user-1000.slice/session-2.scope"
        #expect(layout.unified == Location(mountPoint: "/sys/fs/cgroup/unified", path: session))
        #expect(layout.v1[.cpu] == Location(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", path: "/user.slice"))
        #expect(layout.v1[.cpu]?.directory == "/sys/fs/cgroup/cpu,cpuacct/user.slice")
        #expect(layout.v1[.memory]?.directory == "/sys/fs/cgroup/memory" + session)
        #expect(layout.v1[.pids]?.directory == "/sys/fs/cgroup/pids" + session)
    }

    @Test func v1OnlyKernel() {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.v1OnlyMountinfo, selfCgroup: CgroupHosts.v1OnlyCgroup)
        #expect(layout.unified == nil)
        #expect(layout.problem == "the kernel has no cgroup2 hierarchy (cgroup v1 only)")
        // Still found, for doctor; pids is not mounted at all.
        #expect(layout.v1[.memory]?.directory == "/sys/fs/cgroup/memory/system.slice/swisor.service")
        #expect(layout.v1[.cpu]?.mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(layout.v1[.pids] == nil)
    }

    @Test func cgroup2KernelWithoutACgroup2Mount() {
        let layout = CgroupLayout.resolve(mountinfo: CgroupHosts.v1OnlyMountinfo, selfCgroup: CgroupHosts.v1OnlyCgroup + "0::/system.slice/swisor.service\n")
        #expect(layout.unified == nil)
        #expect(layout.problem == "no cgroup2 file system is mounted")
    }

    @Test func escapedMountPointLeadsToTheDirectory() {
        let text = #"40 31 0:38 / /run/my\040cgroup rw - cgroup2 none rw"#
        let layout = CgroupLayout.resolve(mountinfo: text, selfCgroup: "0::/x\n")
        #expect(layout.unified?.directory == "/run/my cgroup/x")
    }
}

@Suite("cgroup limit writes")
struct CgroupLimitsTests {
    static let mib: UInt64 = 1 << 20
    let allV2: [CgroupController: CgroupVersion] = [.memory: .v2, .pids: .v2, .cpu: .v2]
    let allV1: [CgroupController: CgroupVersion] = [.memory: .v1, .pids: .v1, .cpu: .v1]

    @Test func everyLimitOnV2() {
        let limits = ResourceLimits(memoryMaxBytes: 64 * Self.mib, memoryHighBytes: 48 * Self.mib, tasksMax: 100, cpuQuotaPercent: 150)
        let writes = try? CgroupLimits.writes(for: limits, versions: allV2, missing: [:]).get()
        #expect(writes == [
            CgroupWrite(.memory, "memory.max", "67108864"),
            CgroupWrite(.memory, "memory.swap.max", "0", optional: true),
            CgroupWrite(.memory, "memory.high", "50331648"),
            CgroupWrite(.pids, "pids.max", "100"),
            CgroupWrite(.cpu, "cpu.max", "150000 100000"),
        ])
    }

    @Test func everyV1LimitOnV1() {
        let limits = ResourceLimits(memoryMaxBytes: 64 * Self.mib, tasksMax: 7, cpuQuotaPercent: 50)
        let writes = try? CgroupLimits.writes(for: limits, versions: allV1, missing: [:]).get()
        #expect(writes == [
            CgroupWrite(.memory, "memory.limit_in_bytes", "67108864"),
            CgroupWrite(.memory, "memory.memsw.limit_in_bytes", "67108864", optional: true),
            CgroupWrite(.pids, "pids.max", "7"),
            CgroupWrite(.cpu, "cpu.cfs_period_us", "100000"),
            CgroupWrite(.cpu, "cpu.cfs_quota_us", "50000"),
        ])
    }

    @Test func mixedVersionsOfAHybridHost() {
        let limits = ResourceLimits(memoryMaxBytes: 2 * Self.mib, cpuQuotaPercent: 1)
        let writes = try? CgroupLimits.writes(for: limits, versions: [.memory: .v1, .cpu: .v2], missing: [:]).get()
        #expect(writes?.map(\.file) == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "cpu.max"])
        #expect(writes?.last?.value == "1000 100000")
    }

    @Test func noLimitsNoWrites() throws {
        #expect(try CgroupLimits.writes(for: ResourceLimits(), versions: [:], missing: [:]).get() == [])
    }

    @Test func memoryHighIsRefusedOnV1() {
        let result = CgroupLimits.writes(for: ResourceLimits(memoryHighBytes: 8 * Self.mib), versions: allV1, missing: [:])
        guard case .failure(let p) = result else {
            Issue.record("expected a refusal, got \(result)")
            return
        }
        #expect(p.option == "memory_high")
        #expect(p.reason.contains("v1"))
        #expect(p.reason.contains("memory_max"))
        #expect(p.description.hasPrefix("memory_high cannot be enforced here: "))
    }

    @Test(arguments: [
        (ResourceLimits(memoryMaxBytes: 1 << 30), CgroupController.memory, "memory_max"),
        (ResourceLimits(memoryHighBytes: 1 << 30), .memory, "memory_high"),
        (ResourceLimits(tasksMax: 10), .pids, "tasks_max"),
        (ResourceLimits(cpuQuotaPercent: 20), .cpu, "cpu_quota"),
    ])
    func missingControllerNamesTheOptionAndTheReason(limits: ResourceLimits, controller: CgroupController, option: String) {
        var versions = allV2
        versions[controller] = nil
        let why = "cannot enable it in /sys/fs/cgroup/x: other processes live there"
        let result = CgroupLimits.writes(for: limits, versions: versions, missing: [controller: why])
        #expect(result == .failure(LimitProblem(option: option, reason: why)))
        // Without a recorded reason, a generic one.
        let bare = CgroupLimits.writes(for: limits, versions: versions, missing: [:])
        #expect(bare == .failure(LimitProblem(option: option, reason: "no \(controller.rawValue) controller")))
    }

    @Test func theFirstUnenforceableOptionIsReported() {
        let limits = ResourceLimits(memoryMaxBytes: 1 << 30, tasksMax: 3, cpuQuotaPercent: 20)
        let result = CgroupLimits.writes(for: limits, versions: [.memory: .v2], missing: [.pids: "p", .cpu: "c"])
        #expect(result == .failure(LimitProblem(option: "tasks_max", reason: "p")))
    }

    @Test func controllersToJoin() {
        #expect(CgroupLimits.controllers(for: ResourceLimits()) == [.memory])
        #expect(CgroupLimits.controllers(for: ResourceLimits(memoryHighBytes: 5)) == [.memory])
        #expect(CgroupLimits.controllers(for: ResourceLimits(tasksMax: 5)) == [.memory, .pids])
        #expect(CgroupLimits.controllers(for: ResourceLimits(cpuQuotaPercent: 5)) == [.memory, .cpu])
        #expect(CgroupLimits.controllers(for: ResourceLimits(memoryMaxBytes: 5, tasksMax: 1, cpuQuotaPercent: 5)) == [.memory, .pids, .cpu])
    }
}

@Suite("resource limit options")
struct ResourceLimitsTests {
    @Test(arguments: [
        (JSON.int(50), 50 as Int?), (.string("50%"), 50), (.string("50"), 50), (.int(0), nil), (.double(12.5), nil),
        (.string("x"), nil), (.int(100_001), nil), (.int(100_000), 100_000), (.double(50), 50), (.int(1), 1),
        (.int(-5), nil), (.string("%"), nil), (.string(""), nil), (.string("12.5%"), nil), (.string("50%%"), nil),
        (.string("100001%"), nil), (.double(1e300), nil), (.bool(true), nil), (.null, nil),
    ])
    func cpuQuota(value: JSON, expected: Int?) {
        #expect(ResourceLimits.parseCPUQuota(value) == expected)
    }

    @Test func optionNamesAndEmptiness() {
        #expect(ResourceLimits().isEmpty)
        #expect(ResourceLimits().optionNames == [])
        let all = ResourceLimits(memoryMaxBytes: 1, memoryHighBytes: 1, tasksMax: 1, cpuQuotaPercent: 1)
        #expect(!all.isEmpty)
        #expect(all.optionNames == ["memory_max", "memory_high", "tasks_max", "cpu_quota"])
        #expect(ResourceLimits(cpuQuotaPercent: 3).optionNames == ["cpu_quota"])
    }
}

@Suite("cgroup file readers")
struct CgroupFilesTests {
    @Test func populated() {
        #expect(CgroupFiles.populated("populated 1\nfrozen 0\n") == true)
        #expect(CgroupFiles.populated("populated 0\nfrozen 0\n") == false)
        #expect(CgroupFiles.populated("frozen 1\npopulated 1\n") == true)
        #expect(CgroupFiles.populated("frozen 0\n") == nil)
        #expect(CgroupFiles.populated("") == nil)
    }

    @Test func keyedValuesMatchTheWholeKey() {
        let events = "low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n"
        #expect(CgroupFiles.value(of: "oom_kill", in: events) == 1)
        #expect(CgroupFiles.value(of: "oom", in: events) == 2)
        #expect(CgroupFiles.value(of: "kill", in: events) == nil)
        let v1stat = "cache 10\ninactive_file 4096\nactive_file 8\ntotal_inactive_file 8192\n"
        #expect(CgroupFiles.value(of: "inactive_file", in: v1stat) == 4096)
        #expect(CgroupFiles.value(of: "total_inactive_file", in: v1stat) == 8192)
        #expect(CgroupFiles.value(of: "usage_usec", in: "usage_usec 1234567\nuser_usec 1000000\n") == 1_234_567)
        #expect(CgroupFiles.value(of: "x", in: "x notanumber\n") == nil)
        #expect(CgroupFiles.value(of: "x", in: "") == nil)
    }

    @Test func pidList() {
        #expect(CgroupFiles.pids("12\n345\n\n6\n") == [12, 345, 6])
        #expect(CgroupFiles.pids("") == [])
        #expect(CgroupFiles.pids("x\n7\n") == [7])
    }

    @Test func singleNumbers() {
        #expect(CgroupFiles.number("1048576\n") == 1_048_576)
        #expect(CgroupFiles.number("42") == 42)
        #expect(CgroupFiles.number("7 \n") == 7)
        #expect(CgroupFiles.number("max\n") == nil)
        #expect(CgroupFiles.number("-1\n") == nil)
        #expect(CgroupFiles.number("") == nil)
    }
}

@Suite("cgroup names")
struct CgroupNamesTests {
    @Test func groupNameIsStablePerHomeAndEightHexDigits() {
        let a = CgroupNames.group(forHome: "/home/alice/.swisor")
        #expect(a == CgroupNames.group(forHome: "/home/alice/.swisor"))
        #expect(a != CgroupNames.group(forHome: "/home/bob/.swisor"))
        var seen: Set<String> = []
        for i in 0..<2000 {
            let name = CgroupNames.group(forHome: "/tmp/home-\(i)")
            #expect(name.hasPrefix("swisor-"))
            let hex = name.dropFirst("swisor-".count)
            #expect(hex.count == 8)
            #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
            seen.insert(name)
        }
        #expect(seen.count == 2000)
    }

    @Test func groupNameIsFNV1a() {
        // Published FNV-1a 32-bit vectors.
        #expect(CgroupNames.group(forHome: "") == "swisor-811c9dc5")
        #expect(CgroupNames.group(forHome: "a") == "swisor-e40c292c")
        #expect(CgroupNames.group(forHome: "foobar") == "swisor-bf9cf968")
    }

    @Test func appAndStaleNames() {
        let app = CgroupNames.app(id: 3, name: "web")
        #expect(app == "app-3-web")
        #expect(app.hasPrefix(CgroupNames.appPrefix))
        #expect(CgroupNames.app(id: 0, name: "memory.max") == "app-0-memory.max")
        #expect(!CgroupNames.daemonLeaf.hasPrefix(CgroupNames.appPrefix))
    }
}
