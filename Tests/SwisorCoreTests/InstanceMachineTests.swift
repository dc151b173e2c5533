import Testing
@testable import SwisorCore

/// Every transition of the instance machine, with a fake clock and no process.
@Suite struct InstanceMachineTests {
    typealias M = InstanceMachine
    typealias T = InstanceMachine.Timer

    // MARK: Starting

    @Test func anAutostartedInstanceIsOnlineOnceSpawned() {
        var d = MachineDriver()
        d.online()
        #expect(d.status == .online)
        #expect(d.events == ["start"])
        #expect(d.pid == 101)
        #expect(d.timers.isEmpty, "nothing to time without wait_ready or a watchdog")
        #expect(d.answered == 1)
    }

    @Test func autostartOffWaitsForAStart() {
        var d = MachineDriver(MachineDriver.spec { $0.autostart = false }, scheduled: true)
        d.online()
        #expect(d.machine.display == M.Display(.stopped, "autostart is off: waiting for its first cron run"))
        #expect(d.events == ["added"])
        d.send(.start(.start))
        #expect(d.status == .online)
        #expect(d.machine.restarts == 0, "a start is not a restart")
        #expect(!d.actions.contains(.terminate(unit: 0)), "a unit nothing ran in needs no stop")
    }

    @Test func aSpawnFailureIsErroredWithItsReasonAndAnswered() {
        var d = MachineDriver()
        d.failNextSpawn = "cannot execute /x: No such file or directory (ENOENT)"
        d.online()
        #expect(d.machine.display == M.Display(.errored, "cannot execute /x: No such file or directory (ENOENT)"))
        #expect(d.events == ["errored"])
        #expect(d.warnings == ["could not start: cannot execute /x: No such file or directory (ENOENT)"])
        #expect(d.answered == 1)
    }

    @Test func actionsComeInAFixedOrder() {
        let t0 = InstanceMachine.Instant(mono: 0, wall: 0)
        // History first, then timers, stops, the spawn, replies, and a change of status last.
        var m = InstanceMachine(id: 0, spec: MachineDriver.spec { $0.autostart = false }, scheduled: true)
        #expect(m.handle(.added, now: t0) == [.record(event: "added", reason: "autostart is off: waiting for its first cron run"), .statusChanged])
        #expect(m.handle(.cronTick(trigger: false), now: t0) == [
            .record(event: "cron", reason: "starting the app"), .spawn(unit: 0), .statusChanged,
        ])
        #expect(m.handle(.spawned(unit: 0, pid: 5), now: t0) == [.record(event: "start", reason: "cron"), .answerRequests, .statusChanged])
        #expect(m.handle(.stop, now: t0) == [
            .cancelCron, .arm(T(.kill, unit: 0), afterMs: 1600), .terminate(unit: 0), .statusChanged,
        ])
        #expect(m.handle(.mainExited(unit: 0, .init(signal: "SIGINT")), now: t0) == [
            .record(event: "exit", reason: "killed by SIGINT (stop requested)"),
        ], "still stopping: no change shown")
        #expect(m.handle(.treeEmpty(unit: 0), now: t0) == [
            .record(event: "stopped", reason: "by request"), .cancel(T(.kill, unit: 0)), .answerRequests, .statusChanged,
        ])
    }

    @Test func eachChangeOfWhatUsersSeeIsAnnouncedOnceAndLast() {
        var d = MachineDriver(MachineDriver.spec { $0.restartDelayMs = 2000 })
        d.online()
        d.advance(5000)
        d.exit(0, code: 3)
        d.empty(0)
        d.advance(2000)
        d.send(.watchdogPing(unit: d.unit))
        d.send(.stop)
        d.stopCleanly(d.unit)
        d.send(.delete)
        #expect(d.shown.map(\.status) == [.launching, .online, .stopping, .waitingRestart, .launching, .online, .stopping, .stopped, .stopped])
        #expect(d.shown.last == M.Display(.stopped, "deleted"))
        #expect(d.statusNotLast == 0)
        #expect(d.actions.filter { $0 == .statusChanged }.count == d.shown.count, "once per event at most")
    }

    @Test func newOptionsCancelTheTimersTheyNoLongerOwn() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true; $0.listenTimeoutMs = 5000 })
        d.online()
        #expect(d.has(.readiness, unit: 0))
        d.send(.configure(MachineDriver.spec(), scheduled: false))
        #expect(!d.has(.readiness, unit: 0), "without wait_ready, launching owns no readiness timer")
        d.send(.configure(MachineDriver.spec { $0.waitReady = true; $0.listenTimeoutMs = 5000 }, scheduled: false))
        #expect(d.has(.readiness, unit: 0))
        d.advance(5000)
        #expect(d.status == .online && d.staleFires.isEmpty && d.doubleArmed.isEmpty)
    }

    // MARK: Readiness

    @Test func waitReadyHoldsLaunchingUntilReady() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true; $0.listenTimeoutMs = 5000 })
        d.online()
        #expect(d.status == .launching)
        #expect(d.timers[T(.readiness, unit: 0)] == d.mono + 5000)
        d.advance(100)
        d.send(.ready(unit: 0, how: "READY=1"))
        #expect(d.status == .online)
        #expect(d.timers.isEmpty, "the readiness timer belongs to launching")
        #expect(d.history.last! == ("ready", "READY=1"))
    }

    @Test func listenTimeoutTakesItOnlineAnyway() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true; $0.listenTimeoutMs = 3000 })
        d.online()
        d.advance(2999)
        #expect(d.status == .launching)
        d.advance(1)
        #expect(d.status == .online)
        #expect(d.history.last! == ("ready", "no READY=1 within listen_timeout 3000 ms: online anyway"))
    }

    @Test func deathBeforeReadyIsAFailedStartNeverOnline() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true })
        d.online()
        d.advance(50)
        d.exit(0, code: 1)
        #expect(d.status == .stopping)
        #expect(d.timers[T(.readiness, unit: 0)] == nil)
        d.empty(0)
        #expect(d.machine.policy.unstableRuns == 1)
        #expect(d.events == ["start", "exit", "restart"])
        #expect(d.status == .launching)
    }

    @Test func readyFromAnotherUnitOrAfterOnlineChangesNothing() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true })
        d.online()
        d.send(.ready(unit: 7, how: "READY=1"))
        #expect(d.status == .launching)
        d.send(.ready(unit: 0, how: "READY=1"))
        let before = d.machine
        d.send(.ready(unit: 0, how: "READY=1"))
        #expect(d.machine == before)
    }

    // MARK: Exits and the restart policy

    @Test func aCrashStopsTheLeftoversThenRestartsAtOnce() {
        var d = MachineDriver()
        d.online()
        d.advance(5000)
        d.exit(0, code: 3)
        #expect(d.status == .stopping, "its leftovers are stopped first")
        #expect(d.terminating == [0])
        #expect(d.machine.lastExit?.runMs == 5000)
        #expect(d.machine.lastExit?.requested == false)
        #expect(d.timers[T(.kill, unit: 0)] != nil)
        d.empty(0)
        #expect(d.status == .online)
        #expect(d.machine.restarts == 1)
        #expect(d.history.last! == ("restart", "exit code 3"))
        #expect(d.timers.isEmpty)
    }

    @Test func restartDelayWaitsWithItsTimeShown() {
        var d = MachineDriver(MachineDriver.spec { $0.restartDelayMs = 2000 })
        d.online()
        d.advance(5000)
        d.exit(0, signal: "SIGSEGV")
        d.empty(0)
        #expect(d.status == .waitingRestart)
        #expect(d.machine.nextRestartAt == d.wall + 2000)
        #expect(d.history.last! == ("waiting restart", "signal SIGSEGV; restart in 2000 ms"))
        d.advance(1999)
        #expect(d.status == .waitingRestart)
        d.advance(1)
        #expect(d.status == .online)
        #expect(d.machine.nextRestartAt == nil)
        #expect(d.history.last! == ("restart", "signal SIGSEGV"))
    }

    @Test func aCrashLoopEndsErroredAfterMaxRestarts() {
        var d = MachineDriver(MachineDriver.spec { $0.restartDelayMs = 100 })
        d.online()
        for _ in 0..<3 {
            d.advance(10)
            d.exit(d.unit, code: 1)
            d.empty(d.unit)
            d.advance(100)
        }
        #expect(d.status == .errored)
        #expect(d.machine.display.reason?.contains("3 unstable runs in a row") == true)
        #expect(d.warnings.last?.hasPrefix("errored: ") == true)
        #expect(d.timers.isEmpty)
    }

    @Test func stopExitCodesLeaveItStopped() {
        var d = MachineDriver(MachineDriver.spec { $0.stopExitCodes = [0] })
        d.online()
        d.advance(2000)
        d.exit(0, code: 0)
        d.empty(0)
        #expect(d.machine.display == M.Display(.stopped, "exited by itself: exited with code 0, listed in stop_exit_codes"))
    }

    @Test func anOOMKillIsReasonOOM() {
        var d = MachineDriver(MachineDriver.spec { $0.restartDelayMs = 10 })
        d.online()
        d.exit(0, signal: "SIGKILL", oom: true)
        d.empty(0)
        #expect(d.machine.lastExit?.oom == true)
        #expect(d.history.last?.1?.hasPrefix("oom;") == true)
    }

    // MARK: Stops

    @Test func stopSignalsThenKillsAfterKillTimeoutAndAnswersWhenNothingIsLeft() {
        var d = MachineDriver()
        d.online()
        d.send(.stop)
        #expect(d.status == .stopping)
        #expect(d.terminating == [0])
        #expect(d.timers[T(.kill, unit: 0)] == d.mono + 1600)
        #expect(d.answered == 1, "only the start's answer so far")
        d.advance(1600)
        #expect(d.killed == [0])
        #expect(d.timers.isEmpty, "the kill timer belongs to the graceful part of the stop")
        d.exit(0, signal: "SIGKILL")
        #expect(d.machine.lastExit?.requested == true)
        #expect(d.history.last! == ("exit", "killed by SIGKILL (stop requested)"))
        #expect(d.status == .stopping, "until the tree is empty")
        d.empty(0)
        #expect(d.machine.display == M.Display(.stopped, "stopped by request"))
        #expect(d.answered == 2)
    }

    @Test func theTreeMustBeEmptyAndTheMainReaped() {
        var d = MachineDriver()
        d.online()
        d.send(.stop)
        d.empty(0)
        #expect(d.status == .stopping, "an empty report while the main process runs is stale")
        d.stopCleanly(0)
        #expect(d.status == .stopped)
    }

    @Test func stopOfAWaitingRestartDropsTheRestart() {
        var d = MachineDriver(MachineDriver.spec { $0.restartDelayMs = 5000 })
        d.online()
        d.advance(2000)
        d.exit(0, code: 1)
        d.empty(0)
        #expect(d.has(.restart, unit: 0))
        d.send(.stop)
        #expect(!d.has(.restart, unit: 0))
        #expect(d.machine.display == M.Display(.stopped, "stopped by request"))
        d.advance(10_000)
        #expect(d.status == .stopped, "no restart comes later")
    }

    @Test func requestsOnAnEmptyUnitNeedNoStop() {
        var d = MachineDriver()
        d.failNextSpawn = "boom"
        d.online()
        d.send(.start(.manual))
        // The unit had no process: relaunched at once.
        #expect(d.status == .online)
        #expect(d.terminating.isEmpty)
        d.send(.stop)
        d.stopCleanly(d.unit)
        d.send(.stop)
        #expect(d.machine.display == M.Display(.stopped, "stopped by request"))
        d.send(.delete)
        #expect(d.machine.isDeleted && d.removed)
        #expect(d.terminating == [0], "only the running one was stopped")
        #expect(d.answered == 5)
    }

    @Test func aStopJoiningTheCleanUpOfACrashShowsStopping() {
        var d = MachineDriver()
        d.online()
        d.exit(0, code: 1)
        d.send(.stop)
        #expect(d.machine.display == M.Display(.stopping))
        d.empty(0)
        #expect(d.status == .stopped)
    }

    @Test func requestsDuringAStopJoinItAndTheLastOneWins() {
        var d = MachineDriver()
        d.online()
        d.send(.stop)
        d.send(.start(.manual))
        #expect(d.terminating == [0], "one stop, joined")
        d.stopCleanly(0)
        #expect(d.status == .online)
        #expect(d.machine.restarts == 1)
        #expect(d.answered == 2, "the start's, then both requests' in one")

        d.send(.start(.manual))
        d.send(.delete)
        d.stopCleanly(0)
        #expect(d.machine.isDeleted)
        #expect(d.removed)
    }

    @Test func aStopDuringTheCleanUpOfACrashIsAStopNotARestart() {
        var d = MachineDriver()
        d.online()
        d.exit(0, code: 1)
        d.send(.stop)
        d.empty(0)
        #expect(d.machine.display == M.Display(.stopped, "stopped by request"))
        #expect(d.machine.restarts == 0)
    }

    @Test func killNowKillsEveryStopInProgress() {
        var d = MachineDriver()
        d.online()
        d.send(.stop)
        d.send(.killNow)
        #expect(d.killed == [0])
        #expect(d.timers.isEmpty)
        d.send(.killNow)
        #expect(d.killed == [0], "once")
    }

    // MARK: Restarts

    /// The executor keeps a run's empty cgroup only where another run may follow the
    /// stop: a crash's clean-up and a restart, not a stop or a delete.
    @Test func onlyARestartOrTheCleanUpOfAnExitMayRunAgain() {
        var d = MachineDriver()
        d.online()
        #expect(!d.machine.mayRunAfterStop, "nothing is being stopped")
        d.exit(0, code: 3)
        #expect(d.machine.mayRunAfterStop, "the policy judges the exit")
        d.empty(0)
        d.send(.start(.manual))
        d.send(.stop)
        #expect(d.status == .stopping)
        #expect(!d.machine.mayRunAfterStop, "a stop")
        var r = MachineDriver()
        r.online()
        r.send(.start(.manual))
        #expect(r.machine.mayRunAfterStop, "a restart")
        var del = MachineDriver()
        del.online()
        del.send(.delete)
        #expect(!del.machine.mayRunAfterStop, "a delete")
    }

    @Test func aManualRestartIsAFreshStartForThePolicy() {
        var d = MachineDriver(MachineDriver.spec { $0.expBackoffRestartDelayMs = 100 })
        d.online()
        d.exit(0, code: 1)
        d.empty(0)
        #expect(d.machine.policy.unstableRuns == 1)
        d.send(.start(.manual))
        #expect(d.machine.policy == RestartPolicy.History())
        #expect(d.status == .online)
        #expect(d.machine.restarts == 2)
        #expect(d.history.last! == ("restart", "manual"))
    }

    @Test func aMemoryRestartKeepsTheCrashLoopCount() {
        var d = MachineDriver()
        d.online()
        d.exit(0, code: 1)
        d.empty(0)
        d.send(.memoryOver("97.0 MiB in 2 process(es) exceeds max_memory_restart 64.0 MiB"))
        #expect(d.history.last! == ("memory", "97.0 MiB in 2 process(es) exceeds max_memory_restart 64.0 MiB"))
        #expect(d.warnings.last == "97.0 MiB in 2 process(es) exceeds max_memory_restart 64.0 MiB: restarting")
        d.stopCleanly(0)
        #expect(d.machine.policy.unstableRuns == 1)
        #expect(d.machine.restarts == 2)
        #expect(d.history.last! == ("restart", "memory"))
    }

    @Test func memoryOverOfAnInstanceNotOnlineIsIgnored() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true })
        d.online()
        let before = d.machine
        d.send(.memoryOver("x"))
        #expect(d.machine == before)
    }

    @Test func resetZeroesTheCounters() {
        var d = MachineDriver()
        d.online()
        d.exit(0, code: 1)
        d.empty(0)
        d.send(.reset)
        #expect(d.machine.restarts == 0 && d.machine.policy == RestartPolicy.History())
        #expect(d.history.last! == ("reset", "restart counters set to 0"))
    }

    // MARK: Cron

    @Test func aCronTickRestartsWhatRunsAndStartsWhatDoesNot() {
        var d = MachineDriver(scheduled: true)
        d.online()
        d.send(.cronTick(trigger: false))
        #expect(d.history.last! == ("cron", "restarting the running app"))
        d.stopCleanly(0)
        #expect(d.machine.restarts == 1)
        #expect(d.history.last! == ("restart", "cron"))

        d.send(.stop)
        d.stopCleanly(0)
        #expect(d.machine.cronPaused && !d.machine.wantsSchedule)
        d.send(.cronTick(trigger: true))
        #expect(d.history.last! == ("start", "cron"))
        #expect(d.machine.restarts == 1, "a start")
        #expect(d.machine.cronPaused, "a tick does not resume a paused schedule")
        d.send(.start(.manual))
        d.stopCleanly(0)
        #expect(!d.machine.cronPaused && d.machine.wantsSchedule)
    }

    // MARK: The watchdog

    @Test func theWatchdogIsReArmedByEachPingAndFiresAsACrash() {
        var d = MachineDriver(MachineDriver.spec { $0.watchdogMs = 1000; $0.restartDelayMs = 0 })
        d.online()
        #expect(d.timers[T(.watchdog, unit: 0)] == d.mono + 1000)
        d.advance(900)
        d.send(.watchdogPing(unit: 0))
        #expect(d.timers[T(.watchdog, unit: 0)] == d.mono + 1000)
        #expect(d.doubleArmed.isEmpty)
        d.advance(1000)
        #expect(d.status == .stopping)
        #expect(d.history.contains { $0 == ("watchdog", "no WATCHDOG=1 within watchdog_sec 1000 ms") })
        d.exit(0, signal: "SIGTERM")
        #expect(d.machine.lastExit?.requested == false, "ended for its health: judged as a crash")
        d.empty(0)
        #expect(d.history.last! == ("restart", "watchdog"))
        #expect(d.machine.restarts == 1)
    }

    @Test func aHangLoopEndsErroredAfterMaxRestarts() {
        var d = MachineDriver(MachineDriver.spec { $0.watchdogMs = 100; $0.minUptimeMs = 1000; $0.maxRestarts = 2 })
        d.online()
        for _ in 0..<2 {
            d.advance(100)
            d.stopCleanly(d.unit)
        }
        #expect(d.status == .errored)
    }

    @Test func watchdogTriggerAndANewInterval() {
        var d = MachineDriver(MachineDriver.spec { $0.watchdogMs = 1000 })
        d.online()
        d.send(.watchdogInterval(unit: 0, ms: 5000))
        #expect(d.timers[T(.watchdog, unit: 0)] == d.mono + 5000)
        d.send(.watchdogInterval(unit: 0, ms: nil))
        #expect(d.timers.isEmpty, "0 turns it off")
        d.send(.watchdogTrigger(unit: 0))
        #expect(d.status == .stopping)
        #expect(d.history.last! == ("watchdog", "the app sent WATCHDOG=trigger"))
    }

    // MARK: Reload

    @Test func aReloadSwapsRunsOnceTheNewOneIsReadyThenStopsTheOld() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true })
        d.online()
        d.send(.ready(unit: 0, how: "READY=1"))
        let oldPID = d.pid
        d.send(.reload(unit: 50))
        #expect(d.status == .online, "the old run serves meanwhile")
        #expect(d.machine.reloadingUnit == 50)
        #expect(d.history.last! == ("reload", "new process: started beside pid \(oldPID!)"))
        #expect(d.has(.readiness, unit: 50))
        d.send(.ready(unit: 50, how: "READY=1"))
        #expect(d.unit == 50 && d.status == .online)
        #expect(d.machine.restarts == 1)
        #expect(d.terminating == [0], "the old run")
        #expect(d.machine.sides[0] != nil)
        #expect(d.reloads.isEmpty, "answered once the old run is gone")
        d.stopCleanly(0)
        #expect(d.released == [0])
        #expect(d.reloads[50] == .some(nil))
        #expect(d.machine.sides.isEmpty && d.timers.isEmpty)
    }

    @Test func withoutWaitReadyTheNewRunMustSurviveMinUptime() {
        var d = MachineDriver(MachineDriver.spec { $0.minUptimeMs = 300 })
        d.online()
        d.send(.reload(unit: 50))
        d.advance(299)
        #expect(d.unit == 0)
        d.advance(1)
        #expect(d.unit == 50)
        #expect(d.history.contains { $0 == ("ready", "new process: up for min_uptime 300 ms") })
    }

    @Test func aNewRunThatDiesKeepsTheOldOne() {
        var d = MachineDriver(MachineDriver.spec { $0.minUptimeMs = 300 })
        d.online()
        d.send(.reload(unit: 50))
        d.exit(50, code: 7)
        #expect(d.status == .online && d.unit == 0)
        #expect(d.machine.reloadingUnit == nil)
        #expect(d.machine.lastExit == nil, "the instance's own run did not exit")
        #expect(d.reloads.isEmpty, "answered once its processes are gone")
        #expect(d.machine.sides[50]?.mainAlive == false)
        d.empty(50)
        #expect(d.reloads[50] == .some("the new process exited (exit code 7) before it was online"))
        #expect(d.released == [50])
        #expect(d.timers.isEmpty)
    }

    @Test func aNewRunThatCannotStartKeepsTheOldOne() {
        var d = MachineDriver()
        d.online()
        d.failNextSpawn = "boom"
        d.send(.reload(unit: 50))
        #expect(d.status == .online && d.unit == 0)
        d.empty(50)
        #expect(d.reloads[50] == .some("could not start: boom"))
    }

    @Test func aSecondReloadIsRefusedAndOneOfAnInstanceNotOnline() {
        var d = MachineDriver(MachineDriver.spec { $0.minUptimeMs = 300 })
        d.online()
        d.send(.reload(unit: 50))
        d.send(.reload(unit: 51))
        #expect(d.reloads[51] == .some("a reload of it is already in progress"))
        #expect(d.machine.reloadingUnit == 50)
        var e = MachineDriver(MachineDriver.spec { $0.waitReady = true })
        e.online()
        e.send(.reload(unit: 9))
        #expect(e.reloads[9] == .some("it is not online"))
    }

    @Test func aReloadOrAnyRequestOnADeletedInstanceDoesNothing() {
        var d = MachineDriver()
        d.online()
        d.send(.delete)
        d.stopCleanly(0)
        let before = d.actions.count
        d.send(.reload(unit: 50))
        d.send(.start(.manual))
        d.send(.cronTick(trigger: false))
        let after = Array(d.actions[before...])
        #expect(!after.contains(.spawn(unit: 50)) && !after.contains(.spawn(unit: 0)))
        #expect(d.reloads[50] == .some("it is not online"))
        #expect(d.machine.isDeleted)
    }

    @Test func aRequestDuringAReloadAbandonsTheNewRun() {
        var d = MachineDriver(MachineDriver.spec { $0.minUptimeMs = 300 })
        d.online()
        d.send(.reload(unit: 50))
        let generation = d.machine.generation
        d.send(.delete)
        #expect(d.machine.generation == generation + 1)
        #expect(d.terminating == [50, 0])
        d.stopCleanly(0)
        #expect(d.machine.isDeleted)
        #expect(!d.removed, "forgotten only when nothing of it runs")
        d.advance(1000)
        #expect(d.unit == 0, "no late swap into a deleted instance")
        d.stopCleanly(50)
        #expect(d.removed)
        #expect(d.reloads[50] == .some("interrupted by a delete request"))
    }

    @Test func anOldRunThatCrashesDuringAReloadIsReplacedByTheNewOne() {
        var d = MachineDriver(MachineDriver.spec { $0.minUptimeMs = 300 })
        d.online()
        d.send(.reload(unit: 50))
        d.exit(0, code: 1)
        #expect(d.status == .stopping)
        d.empty(0)
        #expect(d.machine.display == M.Display(.launching, "reloading: the old process exited"))
        d.advance(300)
        #expect(d.unit == 50 && d.status == .online)
        #expect(d.history.last! == ("reload", "pid 102 online; the old run had already ended"))
        #expect(d.reloads[50] == .some(nil))
        #expect(d.released == [0])
    }

    @Test func aReloadWaitsForWhatIsLeftOfAnOldRunItsWatchdogEnded() {
        var d = MachineDriver(MachineDriver.spec { $0.watchdogMs = 1000; $0.minUptimeMs = 1500 })
        d.online()
        d.send(.reload(unit: 50))
        d.advance(1000)
        #expect(d.status == .stopping, "the old run's watchdog ended it")
        d.advance(500)
        #expect(d.unit == 50 && d.status == .online)
        #expect(d.history.last! == ("reload", "pid 102 online; the old run had exited: stopping what is left of it"))
        #expect(d.reloads.isEmpty, "not answered while the old run's processes live")
        #expect(d.has(.kill, unit: 0))
        d.stopCleanly(0)
        #expect(d.reloads[50] == .some(nil))
        #expect(d.released == [0])
        #expect(d.staleFires.isEmpty)
    }

    @Test func anOldRunThatCrashedIsJudgedWhenTheNewOneFails() {
        var d = MachineDriver(MachineDriver.spec { $0.minUptimeMs = 300; $0.restartDelayMs = 500 })
        d.online()
        d.send(.reload(unit: 50))
        d.exit(0, code: 1)
        d.empty(0)
        d.exit(50, code: 2)
        #expect(d.status == .waitingRestart)
        #expect(d.machine.nextRestartAt == d.wall + 500)
        d.empty(50)
        d.advance(500)
        #expect(d.status == .online && d.unit == 0)
    }

    @Test func theOldRunsWatchdogStillCountsDuringAReload() {
        var d = MachineDriver(MachineDriver.spec { $0.watchdogMs = 1000; $0.minUptimeMs = 5000 })
        d.online()
        d.send(.reload(unit: 50))
        d.advance(500)
        d.send(.watchdogPing(unit: 0))
        #expect(d.timers[T(.watchdog, unit: 0)] == d.mono + 1000)
        d.advance(1000)
        #expect(d.status == .stopping)
        d.stopCleanly(0)
        d.advance(3500)
        #expect(d.unit == 50 && d.status == .online)
        #expect(d.has(.watchdog, unit: 50), "the new run has its own watchdog")
    }

    // MARK: Timers belong to states

    @Test func aTimerTheStateDoesNotOwnIsIgnored() {
        var d = MachineDriver()
        d.online()
        for kind in [M.TimerKind.readiness, .watchdog, .kill, .restart] {
            let before = d.machine
            #expect(d.send(.timer(T(kind, unit: 0))).isEmpty)
            #expect(d.machine == before)
        }
    }

    @Test func everyArmedTimerIsCancelledOrFiredByTheEnd() {
        var d = MachineDriver(MachineDriver.spec { $0.waitReady = true; $0.watchdogMs = 500; $0.restartDelayMs = 100 })
        d.online()
        d.send(.ready(unit: 0, how: "READY=1"))
        d.send(.reload(unit: 50))
        d.send(.stop)
        d.advance(10_000)
        d.stopCleanly(0)
        d.stopCleanly(50)
        #expect(d.status == .stopped)
        #expect(d.timers.isEmpty)
        #expect(d.doubleArmed.isEmpty)
        #expect(d.staleFires.isEmpty, "every timer fired was still owned")
    }

    // MARK: What users see

    @Test func theGenerationCountsRequestsOnly() {
        var d = MachineDriver()
        d.online()
        let g = d.machine.generation
        d.exit(0, code: 1)
        d.empty(0)
        #expect(d.machine.generation == g)
        d.send(.stop)
        #expect(d.machine.generation == g + 1)
    }

    @Test func startActsOnlyOnWhatDoesNotRun() {
        var d = MachineDriver()
        #expect(d.machine.needsStart)
        d.online()
        #expect(!d.machine.needsStart)
        d.send(.stop)
        #expect(d.machine.needsStart, "being stopped for good")
        d.send(.start(.manual))
        #expect(!d.machine.needsStart)
    }

    // MARK: Rounds of a stop

    @Test(arguments: [
        (KillMode.group, false, true, false, false),
        (KillMode.group, false, false, false, false),
        (KillMode.group, true, true, true, false),
        (KillMode.mixed, false, true, false, true),
        (KillMode.mixed, false, false, true, false),
        (KillMode.mixed, true, true, true, false),
    ])
    func terminationRounds(mode: KillMode, killing: Bool, mainAlive: Bool, killEveryone: Bool, mainOnly: Bool) {
        let round = TerminationRound(killMode: mode, killing: killing, mainAlive: mainAlive)
        #expect(round.killEveryone == killEveryone)
        #expect(round.mainOnly == mainOnly)
    }
}
