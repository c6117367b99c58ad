import Foundation
import Synchronization
import XCTest
@testable import DiodeScan

/// A tile result of the fake evaluator.
struct FakeTile: TilePayload, Equatable {
    var values: [Double]
    var nonConvergedPoints: Int

    func encoded() -> [Double] { [Double(nonConvergedPoints)] + values }

    init(values: [Double], nonConvergedPoints: Int) {
        self.values = values
        self.nonConvergedPoints = nonConvergedPoints
    }

    init(decoding values: ArraySlice<Double>, pointsPerTile: Int) throws {
        guard values.count == pointsPerTile + 1 else { throw CocoaError(.coderInvalidValue) }
        nonConvergedPoints = Int(values[values.startIndex])
        self.values = Array(values.dropFirst())
    }
}

/// A deterministic stand-in for the physics with continuation: each point
/// depends on the previous point of its tile, the first starts cold. It checks
/// the stop flag between points like the real evaluator.
func fakeEvaluate(tile: Int, points: Int, stop: StopFlag, pause: TimeInterval = 0) -> FakeTile? {
    var state: Double? = nil
    var values: [Double] = []
    var failures = 0
    for i in 0..<points {
        if stop.isSet { return nil }
        if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        let guess = state ?? Double(tile) * 0.37
        let value = sin(guess * 1.7 + Double(i)) + guess / 3
        if value < -0.5 { failures += 1 }
        values.append(value)
        state = value
    }
    return FakeTile(values: values, nonConvergedPoints: failures)
}

/// Ranks as threads of one process, exchanging messages through shared mailboxes.
final class InMemoryNetwork: Sendable {
    let mailboxes: Mutex<[[(source: Int, message: ScanMessage)]]>
    let size: Int
    init(size: Int) {
        self.size = size
        mailboxes = Mutex(Array(repeating: [], count: size))
    }
}

final class InMemoryTransport: ScanTransport {
    let network: InMemoryNetwork
    let rank: Int
    var size: Int { network.size }
    init(network: InMemoryNetwork, rank: Int) {
        self.network = network
        self.rank = rank
    }
    func send(_ message: ScanMessage, to destination: Int) throws {
        network.mailboxes.withLock { $0[destination].append((rank, message)) }
    }
    func poll() throws -> (source: Int, message: ScanMessage)? {
        network.mailboxes.withLock { boxes in boxes[rank].isEmpty ? nil : boxes[rank].removeFirst() }
    }
}

final class ScanEngineTests: XCTestCase {
    let points = 7
    let tileCount = 40

    var serial: [Int: FakeTile] {
        Dictionary(uniqueKeysWithValues: (0..<tileCount).map { ($0, fakeEvaluate(tile: $0, points: points, stop: StopFlag())!) })
    }

    /// Runs a scan with `ranks` in-memory ranks of `threads` threads each and
    /// returns rank 0's deliveries (in delivery order) and every rank's outcome.
    func run(ranks: Int, threads: Int, pending: [Int]? = nil, pause: TimeInterval = 0,
             configure: (_ rank: Int, _ stop: StopFlag) -> Void = { _, _ in },
             onDeliver: (_ count: Int, _ stop: StopFlag) -> Void = { _, _ in }) throws -> (delivered: [(Int, FakeTile)], outcomes: [ScanOutcome]) {
        let network = InMemoryNetwork(size: ranks)
        let points = self.points
        let outcomes = Mutex<[Int: ScanOutcome]>([:])
        let finished = DispatchGroup()
        var stops: [StopFlag] = []
        for rank in 0..<ranks {
            let stop = StopFlag()
            stops.append(stop)
            configure(rank, stop)
        }
        for rank in 1..<max(ranks, 1) {
            let stop = stops[rank]
            finished.enter()
            Thread {
                let engine = try! ScanEngine<FakeTile>(transport: InMemoryTransport(network: network, rank: rank), threads: threads,
                                                  pointsPerTile: points, stop: stop) { tile, stop in
                    fakeEvaluate(tile: tile, points: points, stop: stop, pause: pause)
                }
                let outcome = try! engine.serve()
                outcomes.withLock { $0[rank] = outcome }
                finished.leave()
            }.start()
        }
        let engine = try ScanEngine<FakeTile>(transport: InMemoryTransport(network: network, rank: 0), threads: threads,
                                          pointsPerTile: points, stop: stops[0]) { tile, stop in
            fakeEvaluate(tile: tile, points: points, stop: stop, pause: pause)
        }
        var delivered: [(Int, FakeTile)] = []
        let outcome = try engine.coordinate(pending: pending ?? Array(0..<tileCount)) { tile, output in
            delivered.append((tile, output))
            onDeliver(delivered.count, stops[0])
        }
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success, "a rank did not finish")
        let all = [outcome] + (1..<max(ranks, 1)).map { rank in outcomes.withLock { $0[rank]! } }
        return (delivered, all)
    }

    func assertMatchesSerial(_ delivered: [(Int, FakeTile)], tiles: [Int], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(delivered.map(\.0).sorted(), tiles.sorted(), "each tile exactly once", file: file, line: line)
        let reference = serial
        for (tile, output) in delivered {
            // Bitwise equality, NaN-safe.
            XCTAssertEqual(output.values.map(\.bitPattern), reference[tile]!.values.map(\.bitPattern), "tile \(tile)", file: file, line: line)
            XCTAssertEqual(output.nonConvergedPoints, reference[tile]!.nonConvergedPoints, file: file, line: line)
        }
    }

    func testWorkerPoolComputesEachTileOnceLikeSerial() throws {
        let points = self.points
        let pool = try TileWorkerPool<FakeTile>(threadCount: 4, stop: StopFlag()) { tile, stop in
            fakeEvaluate(tile: tile, points: points, stop: stop)
        }
        pool.submit(0..<tileCount)
        var delivered: [(Int, FakeTile)] = []
        while delivered.count < tileCount {
            delivered += pool.takeFinished(waitingUpTo: 1).map { ($0.tile, $0.output) }
        }
        XCTAssertEqual(pool.outstanding, 0)
        pool.shutdown()
        assertMatchesSerial(delivered, tiles: Array(0..<tileCount))
    }

    func testWorkerPoolOwnerWaitsForTheTilesItAsksForOrForTheLastOnes() throws {
        let pool = try TileWorkerPool<FakeTile>(threadCount: 2, stop: StopFlag()) { tile, stop in
            fakeEvaluate(tile: tile, points: 3, stop: stop, pause: 0.002)
        }
        pool.submit(0..<9)
        // Six wanted and nine on the way: it waits for six (the timeout is a safety net).
        let first = pool.takeFinished(waitingUpTo: 30, atLeast: 6)
        XCTAssertGreaterThanOrEqual(first.count, 6)
        // Fewer left than wanted: it returns once every submitted tile is done.
        var rest = pool.takeFinished(waitingUpTo: 30, atLeast: 100)
        rest += pool.takeFinished(waitingUpTo: 0)
        XCTAssertEqual(Set((first + rest).map(\.tile)), Set(0..<9))
        XCTAssertEqual(pool.outstanding, 0)
        pool.shutdown()
    }

    func testPrefetchDepthCoversTheLatencyAtTheMeasuredTilePace() throws {
        var depth = PrefetchDepth(minimum: 1, latency: 0.05, threads: 2)
        XCTAssertEqual(depth.spare, 1, "before any tile is timed")
        depth.submitted()
        Thread.sleep(forTimeInterval: 0.02)
        depth.finished(4)   // ≥ 10 ms per tile per thread: 0.05 s × 2 threads covers ≤ 10 tiles
        XCTAssertGreaterThanOrEqual(depth.spare, 1)
        XCTAssertLessThanOrEqual(depth.spare, 10)
        depth.finished(100_000)  // very short tiles: capped
        XCTAssertEqual(depth.spare, 64)
    }

    func testWorkerPoolDropsQueuedTiles() throws {
        let stop = StopFlag()
        let pool = try TileWorkerPool<FakeTile>(threadCount: 1, stop: stop) { tile, stop in
            fakeEvaluate(tile: tile, points: 3, stop: stop, pause: 0.01)
        }
        pool.submit(0..<10)
        let dropped = pool.dropQueued()
        XCTAssertGreaterThanOrEqual(dropped.count, 9)
        XCTAssertLessThanOrEqual(pool.outstanding, 1)
        pool.shutdown()
    }

    func testSingleRankSingleThreadMatchesSerial() throws {
        let result = try run(ranks: 1, threads: 1)
        XCTAssertEqual(result.outcomes, [.completed])
        assertMatchesSerial(result.delivered, tiles: Array(0..<tileCount))
    }

    func testThreadsGiveIdenticalResults() throws {
        let result = try run(ranks: 1, threads: 4)
        XCTAssertEqual(result.outcomes, [.completed])
        assertMatchesSerial(result.delivered, tiles: Array(0..<tileCount))
    }

    func testRanksAndThreadsGiveIdenticalResults() throws {
        let result = try run(ranks: 4, threads: 2)
        XCTAssertEqual(result.outcomes, Array(repeating: .completed, count: 4))
        assertMatchesSerial(result.delivered, tiles: Array(0..<tileCount))
    }

    func testEveryRankComputes() throws {
        // Slow tiles so that rank 0's own worker cannot take them all.
        let computedBy = Mutex<Set<Int>>([])
        let network = InMemoryNetwork(size: 2)
        let group = DispatchGroup()
        group.enter()
        Thread {
            let engine = try! ScanEngine<FakeTile>(transport: InMemoryTransport(network: network, rank: 1), threads: 1,
                                              pointsPerTile: 2, stop: StopFlag()) { tile, stop in
                computedBy.withLock { _ = $0.insert(1) }
                return fakeEvaluate(tile: tile, points: 2, stop: stop, pause: 0.002)
            }
            _ = try! engine.serve()
            group.leave()
        }.start()
        let engine = try ScanEngine<FakeTile>(transport: InMemoryTransport(network: network, rank: 0), threads: 1,
                                          pointsPerTile: 2, stop: StopFlag()) { tile, stop in
            computedBy.withLock { _ = $0.insert(0) }
            return fakeEvaluate(tile: tile, points: 2, stop: stop, pause: 0.002)
        }
        var count = 0
        XCTAssertEqual(try engine.coordinate(pending: Array(0..<20)) { _, _ in count += 1 }, .completed)
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(count, 20)
        XCTAssertEqual(computedBy.withLock { $0 }, [0, 1])
    }

    func testResumeComputesOnlyPendingTiles() throws {
        let pending = [3, 5, 8, 21, 39]
        let result = try run(ranks: 3, threads: 2, pending: pending)
        assertMatchesSerial(result.delivered, tiles: pending)
    }

    func testStopOnRankZeroStopsAllRanks() throws {
        let result = try run(ranks: 3, threads: 2, pause: 0.002, onDeliver: { count, stop in
            if count == 5 { stop.set() }
        })
        XCTAssertEqual(result.outcomes, [.stopped, .stopped, .stopped])
        XCTAssertLessThan(result.delivered.count, tileCount)
        let tiles = result.delivered.map(\.0)
        XCTAssertEqual(Set(tiles).count, tiles.count)
        assertMatchesSerial(result.delivered, tiles: tiles)
    }

    func testStopOnAnotherRankIsForwarded() throws {
        let rank2Stop = Mutex<StopFlag?>(nil)
        let result = try run(ranks: 3, threads: 1, pause: 0.002, configure: { rank, stop in
            if rank == 2 { rank2Stop.withLock { $0 = stop } }
        }, onDeliver: { count, _ in
            if count == 3 { rank2Stop.withLock { $0?.set() } }
        })
        XCTAssertEqual(result.outcomes, [.stopped, .stopped, .stopped])
        XCTAssertLessThan(result.delivered.count, tileCount)
        assertMatchesSerial(result.delivered, tiles: result.delivered.map(\.0))
    }

    func testStopBeforeStartDeliversNothing() throws {
        let result = try run(ranks: 2, threads: 2, configure: { _, stop in stop.set() })
        XCTAssertEqual(result.outcomes, [.stopped, .stopped])
        XCTAssertTrue(result.delivered.isEmpty)
    }

    func testAbortHookFiresAfterConfiguredTiles() throws {
        let points = self.points
        var fired = 0
        let engine = try ScanEngine<FakeTile>(transport: SingleProcessTransport(), threads: 1, pointsPerTile: points,
                                          stop: StopFlag()) { tile, stop in fakeEvaluate(tile: tile, points: points, stop: stop) }
        engine.testAbortAfterTiles = 3
        var delivered = 0
        engine.onTestAbort = { if fired == 0 { fired = delivered } }
        _ = try engine.coordinate(pending: Array(0..<10)) { _, _ in delivered += 1 }
        XCTAssertEqual(fired, 3)
    }
}
