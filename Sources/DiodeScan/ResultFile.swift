import DiodeHDF5
import Foundation

/// The HDF5 file a scan writes: the layout of docs/ARCHITECTURE.md, written
/// tile by tile, resumable after a crash at any moment.
///
/// ## Crash safety
/// While scanning, the file is in the *scanning* stage: every dataset,
/// coordinate and attribute is created up front, the result datasets are
/// contiguous and preallocated (not filled: never-written storage reads as
/// zeros, and `tile_done` = 3 marks the tiles that hold nothing yet), the
/// file is opened without a data sieve buffer (writes go straight to the
/// file), and the file is published under its final name only once it is
/// complete (it is built as
/// `<path>.creating` and hard-linked into place). After that, writing a tile
/// only overwrites bytes at fixed offsets: the file's metadata never changes,
/// so a process killed at any moment leaves a valid file. `write(_:for:)`
/// writes a tile's values, flushes, then sets the tile's `tile_done` flag and
/// flushes again, so a set flag always means complete values; a tile killed
/// half-way is simply recomputed on resume.
///
/// `finish(run:compression:)` turns the file into the *finished* stage.
/// Uncompressed, only root attributes change, in place, guarded by an undo
/// journal (`ResultFileJournal`): the bytes outside the result datasets'
/// blocks (which an attribute change never writes) are saved in
/// `<path>.journal` and synced first, the file is changed and synced, then
/// the journal is removed (the commit point). A crash before that leaves a
/// complete journal, and the next open of the file (every open path runs
/// `ResultFileJournal.recover`, the read-only one too: a reader cannot use a
/// half-changed file, and the restore gives exactly the scanning file it had
/// been) writes the saved bytes back, so the file is the complete scanning
/// file again. Where the blocks cannot be located, the file is copied instead
/// and the copy changed. With compression, the finished file is a chunked,
/// deflate-compressed rewrite built as `<path>.finishing`, synced and renamed
/// over the scanning file (atomic). Either way a crash at any moment leaves
/// a complete file of one stage or the other, never a mixture.
/// `openForResume` accepts either stage; a finished file goes back to the
/// scanning stage first, the same way (a compressed one by a rewrite).
///
/// All calls must come from one thread (HDF5 is used single-threaded).
public final class ResultFile {
    /// The file's path.
    public let path: String
    /// The scan grid stored in the file's coordinates.
    public let axes: ScanAxes
    /// The optional reference currents the file holds (`[output] extras`:
    /// `I_lin`, `J_lin`, `I_eqT`, `J_eqT`), in file order.
    public let extras: [String]
    /// The result datasets of doubles of this file (with its extras).
    private let doubleVariables: [ResultFileLayout.DoubleVariable]
    /// The provenance stored in the file (parameters, job text, fingerprint,
    /// version, history).
    public private(set) var storedMetadata: ScanMetadata
    /// Whether the file was opened only for reading.
    public let isReadOnly: Bool

    private var file: HDF5File?
    private var datasets: [String: HDF5Dataset]
    /// One variable of a run of neighbouring tiles, gathered for one write;
    /// kept between writes so that a scan allocates them once.
    private var doubleRun: [Double] = []
    private var integerRun: [Int32] = []
    /// One bit per tile (its storage-order number): set while the tile's
    /// storage has never been written, so it still reads as zeros
    /// (`tile_done` = 3 when the file was opened). Read on the first write.
    private var neverWritten: [UInt64]?
    /// Writes of one variable of a run of tiles left out because the values
    /// were all zero bits and the storage still held them (tests).
    private(set) var zeroWritesSkipped = 0

    /// Whether `finish` changes an uncompressed file in place (false: it
    /// copies the file, the path taken where the blocks cannot be located;
    /// tests compare the two).
    var amendsInPlace = true
    /// Called at each step of an in-place change (tests).
    var amendHook: AmendHook?

    /// Root attribute names that parameters may not use.
    public static var reservedAttributeNames: Set<String> { ResultFileLayout.Root.all }

    private init(
        path: String, axes: ScanAxes, extras: [String], metadata: ScanMetadata, file: HDF5File,
        datasets: [String: HDF5Dataset], readOnly: Bool
    ) {
        self.path = path
        self.axes = axes
        self.extras = extras
        self.doubleVariables = ResultFileLayout.doubleVariables(extras: extras)
        self.storedMetadata = metadata
        self.file = file
        self.datasets = datasets
        self.isReadOnly = readOnly
    }

    // MARK: Creating and opening

    /// Creates a new result file for a scan over `axes`.
    ///
    /// - Throws: `ResultFileError.fileExists` if `path` exists and
    ///   `overwrite` is false; `ResultFileError.invalidAxes` or
    ///   `.reservedParameterName` for bad input; `HDF5Error` or
    ///   `ResultFileError.system` if the file cannot be written.
    public static func create(path: String, axes: ScanAxes, extras: [String] = [], metadata: ScanMetadata,
                              overwrite: Bool) throws -> ResultFile {
        try validate(axes: axes, metadata: metadata)
        for name in extras where !ResultFileLayout.extraNames.contains(name) {
            throw ResultFileError.invalidAxes(reason: "unknown extra dataset '\(name)'")
        }
        // In file order, whatever the order asked for.
        let extras = ResultFileLayout.extraNames.filter(extras.contains)
        // A journal left by a killed finish belongs to the file now at
        // `path`: settle it before that file is kept or replaced.
        try ResultFileJournal.recover(path: path)
        var status = stat()
        if stat(path, &status) == 0 {
            // Only a regular file is ever replaced: `--overwrite` of a
            // directory, device or FIFO (or a link to one) is a mistake.
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw ResultFileError.cannotCreate(path: path, reason: "it exists and is not a regular file")
            }
            if !overwrite { throw ResultFileError.fileExists(path: path) }
        }
        let directory = (path as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ResultFileError.cannotCreate(path: path, reason: "directory '\(parent)' does not exist")
        }
        guard access(parent, W_OK) == 0 else {
            throw ResultFileError.cannotCreate(path: path, reason: "directory '\(parent)' is not writable")
        }
        try requireFreeSpace(in: parent, for: path, bytes: estimatedSize(of: axes, extras: extras.count))
        removeStaleTemporaries(of: path)
        // A name of this process alone: two scans started at once on one new
        // output each build their own file, and the second to publish it
        // finds the first's (`fileExists`) instead of both failing.
        let temporary = temporaryName(for: path, suffix: "creating")
        try build(
            at: temporary, for: path, axes: axes, extras: extras, metadata: metadata, stage: ResultFileLayout.Stage.scanning,
            compressed: false
        ) { _ in }
        try publish(temporary, as: path, replacing: overwrite)
        return try open(path: path, readOnly: false)
    }

    /// The size of a new (uncompressed) file for `axes`, bytes: 144 a point,
    /// a byte a tile, and a margin for the metadata (HDF5's headers, the
    /// coordinates, the job text).
    public static func estimatedSize(of axes: ScanAxes, extras: Int = 0) -> Double {
        let perPoint = ResultFileLayout.doubleVariables.reduce(0) { $0 + 8 * ($1.perRegion ? 3 : 1) }
            + 4 * ResultFileLayout.int32Variables.count + 16 * extras
        return Double(axes.pointCount) * Double(perPoint) + Double(axes.tileCount)
            + 8 * Double(axes.shape.reduce(0, +)) + 131_072
    }

    /// Throws `.cannotCreate` unless the file system of `directory` has
    /// `bytes` free for the unprivileged user (`statvfs`). The result
    /// datasets are allocated but written only as tiles finish, so without
    /// this check a grid too big for the disk makes a sparse file that fails
    /// hours later. File systems that report no size (some network and
    /// FUSE file systems: zero blocks) are not checked.
    static func requireFreeSpace(in directory: String, for path: String, bytes: Double) throws {
        var info = statvfs()
        guard statvfs(directory, &info) == 0, info.f_blocks > 0 else { return }
        let available = Double(info.f_bavail) * Double(info.f_frsize)
        guard bytes <= available else {
            throw ResultFileError.cannotCreate(
                path: path,
                reason: "not enough free space: the file needs about \(ScanGrid.formatBytes(bytes)), "
                    + "'\(directory)' has \(ScanGrid.formatBytes(available)) free")
        }
    }

    /// `<path>.<suffix>.<pid>.<random>`: a temporary name no other process uses.
    static func temporaryName(for path: String, suffix: String) -> String {
        "\(path).\(suffix).\(getpid()).\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// Removes temporaries of `path` that killed processes left behind
    /// (`<path>.creating`, `<path>.creating.*`): those older than a minute
    /// that no process holds locked (HDF5 keeps a file it writes locked).
    static func removeStaleTemporaries(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else {
            return
        }
        for entry in entries where entry == name + ".creating" || entry.hasPrefix(name + ".creating.") {
            let candidate = directory.isEmpty ? entry : (directory as NSString).appendingPathComponent(entry)
            var status = stat()
            guard lstat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
                  Date().timeIntervalSince1970 - Double(status.st_mtim.tv_sec) > 60 else { continue }
            let descriptor = Foundation.open(candidate, O_RDONLY)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { unlink(candidate) }
            Foundation.close(descriptor)
        }
    }

    /// Opens an existing result file to continue its scan. A finished file
    /// is first brought back to the scanning stage: an uncompressed one by
    /// removing the run attributes in place (guarded by an undo journal, as
    /// in `finish`), a compressed one by rewriting it contiguous (as
    /// `<path>.resuming`, renamed into place).
    public static func openForResume(path: String) throws -> ResultFile {
        try openForResume(path: path, amendHook: nil)
    }

    /// `openForResume(path:)`, with `amendHook` called at each step of an
    /// in-place change (tests).
    static func openForResume(path: String, amendHook: AmendHook?, inPlace: Bool = true) throws -> ResultFile {
        let (stage, axes, extras, metadata) = try inspect(path: path)
        if stage == ResultFileLayout.Stage.finished {
            let temporary = path + ".resuming"
            let backToScanning = { (file: HDF5File) throws in
                try file.setAttribute(ResultFileLayout.Root.fileStage, .string(ResultFileLayout.Stage.scanning))
                for name in ResultFileLayout.runAttributes where try file.hasAttribute(name) {
                    try file.removeAttribute(name)
                }
            }
            if try inPlace && amendInPlace(path, hook: amendHook, change: backToScanning) {
                unlink(temporary)  // a rewrite's leftover from a killed process, as the copy would replace it
                return try open(path: path, readOnly: false)
            }
            let source = try openHDF5(path, mode: .readOnly)
            if case .contiguous = try source.openDataset(ResultFileLayout.doubleVariables[0].name).layout {
                try copyFile(path, to: temporary)
                try amend(temporary, for: path, change: backToScanning)
            } else {
                try build(at: temporary, for: path, axes: axes, extras: extras, metadata: metadata,
                          stage: ResultFileLayout.Stage.scanning, compressed: false) { destination in
                    try copyResults(from: source, to: destination, axes: axes, extras: extras)
                }
            }
            try source.close()
            try publish(temporary, as: path, replacing: true)
        }
        return try open(path: path, readOnly: false)
    }

    /// Opens a result file (either stage) for reading only.
    public static func openForReading(path: String) throws -> ResultFile {
        try open(path: path, readOnly: true)
    }

    /// Throws `ResultFileError.differentJob` unless the stored job
    /// fingerprint equals `fingerprint`.
    public func requireSameJob(fingerprint: String) throws {
        guard storedMetadata.jobFingerprint == fingerprint else {
            throw ResultFileError.differentJob(path: path)
        }
    }

    // MARK: Tiles

    /// The tiles whose values are completely on disk (`tile_done` = 1).
    public func completedTiles() throws -> Set<TileIndex> {
        let done = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        var tiles = Set<TileIndex>()
        for (offset, flag) in done.enumerated() where flag == ResultFileLayout.TileFlag.done {
            tiles.insert(axes.tileIndex(offset))
        }
        return tiles
    }

    /// Writes `values` for `tile` (a batch of one; see `write(_:)`).
    public func write(_ values: TileValues, for tile: TileIndex) throws {
        try write([(tile, values)])
    }

    /// Writes a batch of finished tiles, crash-safe at every step:
    ///
    /// 1. the batch's `tile_done` flags become 2 ("being written"), flush;
    /// 2. every tile's values, flush;
    /// 3. the flags become 1 ("done"), flush.
    ///
    /// A process killed during step 2 leaves flags of 2 beside partial
    /// values: `completedTiles()` does not count them (a resume recomputes
    /// them) and `finish` gives them fill values and flag 0. A flag of 1
    /// therefore always means complete values. Tiles that are neighbours in
    /// the file (the same outer indices but the last, which is consecutive:
    /// the same ΔT, consecutive ε3 in the paper's grids) are written with one HDF5 call
    /// per dataset, so a batch costs a few calls per run of neighbouring
    /// tiles instead of 21 per tile. A variable that is all zero bits in a
    /// run of tiles whose storage was never written (flag 3: it reads as
    /// zeros) is not written at all: at λ = 1 without screening that is `U`
    /// and, where every point converged, `status`, 56 of 144 bytes a point.
    public func write(_ batch: [(tile: TileIndex, values: TileValues)]) throws {
        try write(batch, completing: ResultFileLayout.TileFlag.done)
    }

    /// `write(_:)` with `flag` as the flag of step 3.
    private func write(_ batch: [(tile: TileIndex, values: TileValues)], completing flag: UInt8) throws {
        guard !isReadOnly else { throw ResultFileError.closed(path: path) }
        guard !batch.isEmpty else { return }
        let n = axes.pointsPerTile
        for (tile, values) in batch {
            try check(tile)
            guard values.pointCount == n else {
                throw ResultFileError.wrongPointCount(axes.describe(tile), axis: axes.inner.key, expected: n,
                                                      actual: values.pointCount)
            }
        }
        let runs = runs(of: batch)
        let file = try openFile()
        let tileDone = try dataset(ResultFileLayout.tileDone)
        // Decided before the flags change: a run whose storage was never
        // written reads as zeros already, so its all-zero variables (U
        // without screening, the status of converged points) need no bytes.
        // Every tile of the batch counts as written from here on, whatever
        // happens below (a killed write leaves flag 2: written in full later).
        let runsNeverWritten = try runs.map { run in try run.indices.allSatisfy { try hasNeverBeenWritten(batch[$0].tile) } }
        for (tile, _) in batch { markWritten(tile) }
        func setFlags(_ flag: UInt8) throws {
            for run in runs {
                let (start, count) = tileSelection(of: run.first, tiles: run.count)
                try tileDone.write([UInt8](repeating: flag, count: run.count), start: start, count: count)
            }
            try file.flush()
        }
        try setFlags(ResultFileLayout.TileFlag.writing)
        for (run, neverWritten) in zip(runs, runsNeverWritten) {
            func alreadyZero(_ isZero: (TileValues) -> Bool) -> Bool {
                neverWritten && run.indices.allSatisfy { isZero(batch[$0].values) }
            }
            for variable in doubleVariables {
                if alreadyZero({ $0.isAllZeroBits(variable.field) }) {
                    zeroWritesSkipped += 1
                    continue
                }
                let (start, count) = selection(of: run.first, tiles: run.count, perRegion: variable.perRegion)
                doubleRun.removeAll(keepingCapacity: true)
                for index in run.indices { batch[index].values.appendValues(of: variable.field, to: &doubleRun) }
                try dataset(variable.name).write(doubleRun, start: start, count: count)
            }
            for variable in ResultFileLayout.int32Variables {
                if alreadyZero({ $0.isAllZeroBits(variable.field) }) {
                    zeroWritesSkipped += 1
                    continue
                }
                let (start, count) = selection(of: run.first, tiles: run.count, perRegion: false)
                integerRun.removeAll(keepingCapacity: true)
                for index in run.indices { batch[index].values.appendValues(of: variable.field, to: &integerRun) }
                try dataset(variable.name).write(integerRun, start: start, count: count)
            }
        }
        try file.flush()
        try setFlags(flag)
    }

    /// Whether `tile`'s storage has never been written (reads as zeros).
    private func hasNeverBeenWritten(_ tile: TileIndex) throws -> Bool {
        if neverWritten == nil {
            let flags = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
            var bits = [UInt64](repeating: 0, count: (flags.count + 63) / 64)
            for (offset, flag) in flags.enumerated() where flag == ResultFileLayout.TileFlag.unwritten {
                bits[offset / 64] |= 1 << UInt64(offset % 64)
            }
            neverWritten = bits
        }
        let offset = flagOffset(of: tile)
        return neverWritten![offset / 64] & (1 << UInt64(offset % 64)) != 0
    }

    private func markWritten(_ tile: TileIndex) {
        let offset = flagOffset(of: tile)
        neverWritten?[offset / 64] &= ~(1 << UInt64(offset % 64))
    }

    /// Where `tile`'s flag lies in `tile_done` read whole (row-major over the outer axes).
    private func flagOffset(of tile: TileIndex) -> Int { axes.tileNumber(tile) }

    /// A run of tiles that are neighbours in the file: the same outer
    /// indices but the last, which counts up from `first`'s (the same ΔT,
    /// consecutive ε3 in the paper's grids); `indices` point into the batch.
    private struct Run {
        var first: TileIndex
        var indices: [Int]
        var count: Int { indices.count }
    }

    /// The batch's tiles grouped into runs of neighbours (a tile listed twice
    /// is written once, its last values winning).
    private func runs(of batch: [(tile: TileIndex, values: TileValues)]) -> [Run] {
        var latest: [TileIndex: Int] = [:]
        for index in batch.indices { latest[batch[index].tile] = index }
        var runs: [Run] = []
        for (tile, index) in latest.sorted(by: { $0.key < $1.key }) {
            if var last = runs.last, last.first.indices.dropLast() == tile.indices.dropLast(),
               let lastIndex = last.first.indices.last, lastIndex + last.count == tile.indices.last {
                last.indices.append(index)
                runs[runs.count - 1] = last
            } else {
                runs.append(Run(first: tile, indices: [index]))
            }
        }
        return runs
    }

    /// Reads the values stored for `tile`: fill values unless its flag is 1
    /// (in a scanning file other tiles may hold zeros or partial values).
    public func values(for tile: TileIndex) throws -> TileValues {
        try check(tile)
        var values = TileValues(pointCount: axes.pointsPerTile)
        let (flagStart, flagCount) = tileSelection(of: tile, tiles: 1)
        let flag = try dataset(ResultFileLayout.tileDone).read(UInt8.self, start: flagStart, count: flagCount)
        guard flag == [ResultFileLayout.TileFlag.done] else { return values }
        // Extras the file does not hold keep their fill values.
        for variable in doubleVariables {
            let (start, count) = selection(of: tile, perRegion: variable.perRegion)
            values[variable.field] = try dataset(variable.name).read(Double.self, start: start, count: count)
        }
        for variable in ResultFileLayout.int32Variables {
            let (start, count) = selection(of: tile, perRegion: false)
            values[variable.field] = try dataset(variable.name).read(Int32.self, start: start, count: count)
        }
        return values
    }

    // MARK: Ending

    /// Ends the run: the finished stage, with the run's attributes (wall
    /// time, ranks, threads, tiles completed, non-converged points) and a
    /// `history` line; then closes the file. Call it also after an
    /// interrupted run; `openForResume` continues either way.
    ///
    /// Tiles not done (flag 2: half-written by a killed batch write; flag 3:
    /// never written) first get their fill values (flag 2 until they are on
    /// disk, then 0). Then, with
    /// `compression` `.none`, only the root attributes change, in place,
    /// guarded by an undo journal (see "Crash safety" above; the cost is a
    /// few hundred KB of metadata, whatever the grid size); with `.deflate`
    /// the file is rewritten into chunked, shuffled, deflate-compressed
    /// datasets as `<path>.finishing`, synced and renamed over the scanning
    /// file. A crash at any moment leaves a complete file of one stage or the
    /// other.
    public func finish(run: RunSummary, compression: ResultCompression = .none) throws {
        guard !isReadOnly else { throw ResultFileError.closed(path: path) }
        try fillUnfinishedTiles()
        let done = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        let completed = done.reduce(0) { $0 + ($1 == ResultFileLayout.TileFlag.done ? 1 : 0) }
        let nonConverged = try countNonConverged(done: done)
        let line = "\(run.endTime) \(run.command) (\(run.ranks) ranks x \(run.threadsPerRank) threads, "
            + "\(String(format: "%.1f", run.wallTimeSeconds)) s, \(completed) of \(done.count) tiles done)"
        var metadata = storedMetadata
        metadata.history = metadata.history.isEmpty ? line : metadata.history + "\n" + line
        try close()

        typealias Root = ResultFileLayout.Root
        let runAttributes: [(String, HDF5AttributeValue)] = [
            (Root.tilesCompleted, .int(Int64(completed))), (Root.wallTime, .double(run.wallTimeSeconds)),
            (Root.ranks, .int(Int64(run.ranks))), (Root.threads, .int(Int64(run.threadsPerRank))),
            (Root.nonConverged, .int(nonConverged.either)), (Root.nonConvergedF, .int(nonConverged.forward)),
            (Root.nonConvergedB, .int(nonConverged.backward)),
        ]
        let temporary = path + ".finishing"
        let toFinished = { (destination: HDF5File) throws in
            try destination.setAttribute(Root.fileStage, .string(ResultFileLayout.Stage.finished))
            try destination.setAttribute(Root.history, .string(metadata.history))
            for (name, value) in runAttributes { try destination.setAttribute(name, value) }
        }
        if compression == .none, try amendsInPlace && Self.amendInPlace(path, hook: amendHook, change: toFinished) {
            unlink(temporary)  // a rewrite's leftover from a killed process, as the copy would replace it
            storedMetadata = metadata
            return
        }
        // Held open (read-only, so shared-locked) until the rename: no other
        // process can open the scanning file for writing meanwhile.
        let source = try Self.openHDF5(path, mode: .readOnly)
        switch compression {
        case .none:
            try Self.copyFile(path, to: temporary)
            try Self.amend(temporary, for: path, change: toFinished)
        case .deflate:
            try Self.build(at: temporary, for: path, axes: axes, extras: extras, metadata: metadata,
                           stage: ResultFileLayout.Stage.finished, compressed: true) { destination in
                for (name, value) in runAttributes { try destination.setAttribute(name, value) }
                try Self.copyResults(from: source, to: destination, axes: axes, extras: extras,
                                     compressingOn: run.threadsPerRank)
            }
        }
        try source.close()
        try Self.publish(temporary, as: path, replacing: true)
        storedMetadata = metadata
    }

    /// Closes the file without finishing it (it stays resumable).
    public func close() throws {
        datasets = [:]
        if let file {
            self.file = nil
            try file.close()
        }
    }

    // MARK: Private

    private func openFile() throws -> HDF5File {
        guard let file else { throw ResultFileError.closed(path: path) }
        return file
    }

    private func dataset(_ name: String) throws -> HDF5Dataset {
        guard file != nil, let dataset = datasets[name] else { throw ResultFileError.closed(path: path) }
        return dataset
    }

    private func check(_ tile: TileIndex) throws {
        guard axes.contains(tile) else {
            throw ResultFileError.invalidTile(axes.describe(tile), outer: axes.outerSizeDescription)
        }
    }

    /// The hyperslab of `tile_done` holding the flags of `tiles`
    /// neighbouring tiles starting at `tile` (a run, see `Run`).
    private func tileSelection(of tile: TileIndex, tiles: Int) -> (start: [Int], count: [Int]) {
        (tile.indices, [Int](repeating: 1, count: tile.indices.count - 1) + [tiles])
    }

    /// The hyperslab of a result dataset holding `tiles` neighbouring tiles
    /// starting at `tile`.
    private func selection(of tile: TileIndex, tiles: Int = 1, perRegion: Bool) -> (start: [Int], count: [Int]) {
        let (start, count) = tileSelection(of: tile, tiles: tiles)
        return perRegion
            ? (start + [0, 0], count + [axes.pointsPerTile, 3])
            : (start + [0], count + [axes.pointsPerTile])
    }

    /// Gives every tile that is not done and does not hold fill values yet
    /// (flag 2: a killed batch write; flag 3: never written, its storage
    /// still zeros) its fill values and flag 0, with the batch protocol of
    /// `write(_:)` (a kill in between leaves flag 2, and the next finish does
    /// this again), in batches of at most `fillBatchPoints` points. Costs
    /// nothing after a complete scan.
    private func fillUnfinishedTiles() throws {
        let flags = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        let unfinished = flags.indices.filter {
            flags[$0] == ResultFileLayout.TileFlag.writing || flags[$0] == ResultFileLayout.TileFlag.unwritten
        }
        guard !unfinished.isEmpty else { return }
        let n = axes.pointsPerTile
        let fill = TileValues(pointCount: n)
        let tilesPerBatch = max(1, Self.fillBatchPoints / n)
        for first in stride(from: 0, to: unfinished.count, by: tilesPerBatch) {
            let batch = unfinished[first..<min(first + tilesPerBatch, unfinished.count)].map {
                (tile: axes.tileIndex($0), values: fill)
            }
            try write(batch, completing: ResultFileLayout.TileFlag.notDone)
        }
    }

    /// Points per batch when `finish` fills unfinished tiles.
    private static let fillBatchPoints = 1 << 17

    /// Points of done tiles whose forward, backward, or either configuration
    /// has status 1 or 2; read in blocks of neighbouring tiles (runs along
    /// the last outer axis; memory independent of the grid).
    private func countNonConverged(done: [UInt8]) throws -> (forward: Int64, backward: Int64, either: Int64) {
        var counts: (forward: Int64, backward: Int64, either: Int64) = (0, 0, 0)
        let nE1 = axes.pointsPerTile
        // Tiles numbered `row * nE3 + i` share all outer indices but the last.
        let nE3 = axes.outerShape.last ?? 1
        let block = max(1, ResultFileLayout.targetChunkElements / nE1)
        let statusF = try dataset("status_F"), statusB = try dataset("status_B")
        for d in 0..<(axes.tileCount / nE3) {
            for first in stride(from: 0, to: nE3, by: block) {
                let lines = min(block, nE3 - first)
                guard (first..<(first + lines)).contains(where: { done[d * nE3 + $0] == ResultFileLayout.TileFlag.done })
                else { continue }
                let (start, count) = selection(of: axes.tileIndex(d * nE3 + first), tiles: lines, perRegion: false)
                let forward = try statusF.read(Int32.self, start: start, count: count)
                let backward = try statusB.read(Int32.self, start: start, count: count)
                for line in 0..<lines where done[d * nE3 + first + line] == ResultFileLayout.TileFlag.done {
                    for i in (line * nE1)..<((line + 1) * nE1) {
                        // 3 (converged, a second solution found) is valid.
                        let failedF = forward[i] == 1 || forward[i] == 2
                        let failedB = backward[i] == 1 || backward[i] == 2
                        if failedF { counts.forward += 1 }
                        if failedB { counts.backward += 1 }
                        if failedF || failedB { counts.either += 1 }
                    }
                }
            }
        }
        return counts
    }

    private static func validate(axes: ScanAxes, metadata: ScanMetadata) throws {
        guard axes.dimensions.count >= 2 else {
            throw ResultFileError.invalidAxes(reason: "\(axes.dimensions.count) axes; a result file needs at least two")
        }
        var names = Set<String>()
        for axis in axes.dimensions {
            guard !axis.values.isEmpty else { throw ResultFileError.invalidAxes(reason: "axis \(axis.key) is empty") }
            guard ResultFileLayout.coordinateNames.contains(axis.key) else {
                throw ResultFileError.invalidAxes(reason: "axis \(axis.key) is not a parameter of the model")
            }
            guard names.insert(axis.key).inserted else {
                throw ResultFileError.invalidAxes(reason: "axis \(axis.key) appears twice")
            }
        }
        var seen = Set<String>()
        for parameter in metadata.parameters {
            guard !reservedAttributeNames.contains(parameter.name) else {
                throw ResultFileError.reservedParameterName(parameter.name)
            }
            guard !parameter.name.isEmpty, !parameter.name.contains("/"), !parameter.name.contains("\0") else {
                throw ResultFileError.invalidParameterName(parameter.name, reason: "it must be non-empty, without '/'")
            }
            guard seen.insert(parameter.name).inserted else {
                throw ResultFileError.invalidParameterName(parameter.name, reason: "it appears twice")
            }
        }
    }

    private static func open(path: String, readOnly: Bool) throws -> ResultFile {
        let (_, axes, extras, metadata) = try inspect(path: path)
        let file = try openHDF5(path, mode: readOnly ? .readOnly : .readWrite)
        var datasets: [String: HDF5Dataset] = [:]
        let grid = axes.shape
        var expected: [(String, [Int])] = ResultFileLayout.doubleVariables(extras: extras).map {
            ($0.name, $0.perRegion ? grid + [3] : grid)
        }
        expected += ResultFileLayout.int32Variables.map { ($0.name, grid) }
        expected.append((ResultFileLayout.tileDone, axes.outerShape))
        for (name, shape) in expected {
            guard try file.contains(name) else {
                throw ResultFileError.notAResultFile(path: path, reason: "dataset \(name) is missing")
            }
            let dataset = try file.openDataset(name)
            guard try dataset.shape == shape else {
                throw ResultFileError.notAResultFile(
                    path: path, reason: "dataset \(name) has shape \(try dataset.shape), expected \(shape)")
            }
            datasets[name] = dataset
        }
        return ResultFile(path: path, axes: axes, extras: extras, metadata: metadata, file: file, datasets: datasets,
                          readOnly: readOnly)
    }

    /// Reads the stage, axes and metadata of the file at `path`.
    /// First undoes an interrupted in-place change (`ResultFileJournal`).
    private static func inspect(path: String) throws -> (stage: String, axes: ScanAxes, extras: [String], metadata: ScanMetadata) {
        try ResultFileJournal.recover(path: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ResultFileError.system(call: "open", path: path, message: "no such file")
        }
        let file = try openHDF5(path, mode: .readOnly)
        defer { try? file.close() }
        typealias Root = ResultFileLayout.Root
        func string(_ name: String) throws -> String {
            guard try file.hasAttribute(name), case .string(let value) = try file.attribute(name) else {
                throw ResultFileError.notAResultFile(path: path, reason: "root attribute \(name) is missing")
            }
            return value
        }
        let stage = try string(Root.fileStage)
        guard [ResultFileLayout.Stage.scanning, ResultFileLayout.Stage.finished].contains(stage) else {
            throw ResultFileError.notAResultFile(path: path, reason: "unknown file_stage '\(stage)'")
        }
        let axes = try readAxes(of: file, path: path)
        let extras = try extraNames(in: file)
        let names: [String]
        switch try file.attribute(Root.parameterNames) {
        case .strings(let values): names = values
        case .string(let value): names = [value]
        default: throw ResultFileError.notAResultFile(path: path, reason: "parameter_names is not a list of strings")
        }
        var parameters: [ScanMetadata.Parameter] = []
        for name in names {
            parameters.append(ScanMetadata.Parameter(name, try file.attribute(name)))
        }
        let metadata = ScanMetadata(
            parameters: parameters, jobText: try string(Root.jobText),
            jobFingerprint: try string(Root.jobFingerprint), softwareVersion: try string(Root.softwareVersion),
            sourceRevision: try string(Root.sourceRevision), creationTime: try string(Root.creationTime),
            history: try string(Root.history))
        return (stage, axes, extras, metadata)
    }

    /// The extras a file holds: those whose forward dataset exists (`open`
    /// then requires both of each).
    private static func extraNames(in file: HDF5File) throws -> [String] {
        try ResultFileLayout.extras.filter { try file.contains($0.variables[0].name) }.map(\.name)
    }

    /// The grid axes of a file: the dimension scales attached to `I_F`, in
    /// its dimension order (the file stores no separate list of them, so a
    /// file of the paper's three axes has exactly its old layout).
    private static func readAxes(of file: HDF5File, path: String) throws -> ScanAxes {
        let reference = ResultFileLayout.doubleVariables[0].name
        guard try file.contains(reference) else {
            throw ResultFileError.notAResultFile(path: path, reason: "dataset \(reference) is missing")
        }
        let variable = try file.openDataset(reference)
        let rank = try variable.shape.count
        var candidates: [(name: String, dataset: HDF5Dataset)] = []
        for name in ResultFileLayout.coordinateNames where try file.contains(name) {
            candidates.append((name, try file.openDataset(name)))
        }
        var dimensions: [ScanAxis] = []
        for dimension in 0..<rank {
            guard let scale = try candidates.first(where: { try variable.isAttached(scale: $0.dataset, toDimension: dimension) })
            else {
                throw ResultFileError.notAResultFile(
                    path: path, reason: "dimension \(dimension) of \(reference) has no grid coordinate attached")
            }
            dimensions.append(ScanAxis(scale.name, try scale.dataset.read(Double.self)))
        }
        guard dimensions.count >= 2 else {
            throw ResultFileError.notAResultFile(path: path, reason: "\(reference) has \(rank) dimensions; expected at least 2")
        }
        return ScanAxes(dimensions)
    }

    /// Builds a complete file at `temporary` (replacing any leftover):
    /// coordinates, datasets (contiguous and preallocated, or `compressed`:
    /// chunked with shuffle + deflate) and attributes of `stage`, then
    /// `fill(file)`, then closes and syncs it. Removes it on failure.
    private static func build(
        at temporary: String, for path: String, axes: ScanAxes, extras: [String], metadata: ScanMetadata, stage: String,
        compressed: Bool, fill: (HDF5File) throws -> Void
    ) throws {
        let file: HDF5File
        do {
            file = try HDF5File.create(temporary, mode: .truncate)
        } catch where error.message.contains("unable to lock file") {
            // Another process is building the same file: leave its temporary alone.
            throw ResultFileError.inUse(path: path)
        }
        do {
            try writeLayout(into: file, axes: axes, extras: extras, metadata: metadata, stage: stage, compressed: compressed)
            try fill(file)
        } catch {
            abandon(file, at: temporary)
            throw error
        }
        try seal(file, at: temporary)
    }

    /// The steps of `amendInPlace`, where tests can act through an `AmendHook`
    /// (`.changed` with the open file, the others with nil).
    enum AmendStep: CaseIterable {
        /// The journal is durable; the file is untouched.
        case journalWritten
        /// `change` ran; the file is still open (not yet closed and synced).
        case changed
        /// The file is closed and synced; the journal is not yet removed.
        case synchronized
    }

    typealias AmendHook = (AmendStep, HDF5File?) throws -> Void

    /// Lets `change` edit the root attributes of the uncompressed file at
    /// `path` in place, guarded by an undo journal (`ResultFileJournal`):
    /// journal written and synced, file changed, closed and synced, journal
    /// removed. On an error the file is restored from the journal. Returns
    /// false, having changed nothing, if a result dataset's block cannot be
    /// located (not contiguous, or not allocated): the caller copies instead.
    ///
    /// A reader that holds the file open (with HDF5's file locking) makes
    /// the read-write open fail: then the journal is dropped and false
    /// returned, and the copy goes ahead beside the reader as before. Readers
    /// that skip locking (h5py's `locking=False`) and hold the file across
    /// the finish may see it change under them; they should reopen it.
    ///
    /// Safe because nothing but `change` writes the file meanwhile, and
    /// `change` only sets or removes attributes, which HDF5 stores outside the
    /// datasets' blocks: every byte it can write is in the journal, or lies
    /// past the saved end of the file (undone by truncation).
    private static func amendInPlace(_ path: String, hook: AmendHook?, change: (HDF5File) throws -> Void) throws -> Bool {
        var blocks: [Range<Int>] = []
        do {
            let file = try openHDF5(path, mode: .readOnly)
            defer { try? file.close() }
            let doubles = ResultFileLayout.doubleVariables(extras: try extraNames(in: file))
            for name in doubles.map(\.name) + ResultFileLayout.int32Variables.map(\.name) {
                guard let block = try file.openDataset(name).contiguousStorage else { return false }
                blocks.append(block)
            }
        }
        guard let journal = try ResultFileJournal.begin(for: path, keeping: blocks) else { return false }
        do {
            try hook?(.journalWritten, nil)
            let file: HDF5File
            do {
                file = try openHDF5(path, mode: .readWrite)
            } catch ResultFileError.inUse {
                // A reader holds the file (shared lock): the copy, which
                // only reads it, can still go ahead.
                try journal.rollBack()
                return false
            }
            do {
                try change(file)
                try hook?(.changed, file)
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            try synchronize(path)
            try hook?(.synchronized, nil)
        } catch {
            // If the restore fails too, the journal stays for the next open.
            try? journal.rollBack()
            throw error
        }
        try journal.commit()
        return true
    }

    /// Opens the copy `temporary` for writing, lets `change` edit it (root
    /// attributes), then closes and syncs it. Removes it on failure.
    private static func amend(_ temporary: String, for path: String, change: (HDF5File) throws -> Void) throws {
        let file: HDF5File
        do {
            file = try openHDF5(temporary, mode: .readWrite)
        } catch {
            unlink(temporary)
            throw error
        }
        do {
            try change(file)
        } catch {
            abandon(file, at: temporary)
            throw error
        }
        try seal(file, at: temporary)
    }

    /// Closes `file` (open at `temporary`) and syncs it to disk; on failure
    /// removes it.
    private static func seal(_ file: HDF5File, at temporary: String) throws {
        do {
            try file.close()
            try synchronize(temporary)
        } catch {
            abandon(file, at: temporary)
            throw error
        }
    }

    /// Closes `file` as far as possible and removes `temporary`.
    private static func abandon(_ file: HDF5File, at temporary: String) {
        try? file.close()
        unlink(temporary)
    }

    /// Copies the file `source` to `destination` (created or truncated, with
    /// `source`'s permissions): `copy_file_range`, which copies inside the
    /// kernel (or shares the blocks, on file systems that can), falling back
    /// to reads and writes where the kernel or file system refuses.
    static func copyFile(_ source: String, to destination: String) throws {
        let input = Foundation.open(source, O_RDONLY)
        guard input >= 0 else {
            throw ResultFileError.system(call: "open", path: source, message: posixMessage())
        }
        defer { Foundation.close(input) }
        var status = stat()
        guard fstat(input, &status) == 0 else {
            throw ResultFileError.system(call: "fstat", path: source, message: posixMessage())
        }
        let output = Foundation.open(destination, O_WRONLY | O_CREAT | O_TRUNC, status.st_mode & 0o777)
        guard output >= 0 else {
            throw ResultFileError.system(call: "open", path: destination, message: posixMessage())
        }
        var closed = false
        defer { if !closed { Foundation.close(output) } }
        func fail(_ call: String) -> ResultFileError {
            let error = ResultFileError.system(call: call, path: destination, message: posixMessage())
            Foundation.close(output)
            closed = true
            unlink(destination)
            return error
        }
        var remaining = Int(status.st_size)
        var kernelCopy = true
        while remaining > 0 && kernelCopy {
            guard let copyFileRange = kernelCopyFileRange else {
                kernelCopy = false
                break
            }
            let copied = copyFileRange(input, nil, output, nil, min(remaining, 1 << 30), 0)
            if copied > 0 {
                remaining -= copied
            } else if copied == 0 {
                break
            } else if [EXDEV, ENOSYS, EOPNOTSUPP, EINVAL].contains(errno) && remaining == Int(status.st_size) {
                kernelCopy = false
            } else if errno != EINTR {
                throw fail("copy_file_range")
            }
        }
        if !kernelCopy {
            let bufferSize = 1 << 22
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 4096)
            defer { buffer.deallocate() }
            while remaining > 0 {
                let count = Foundation.read(input, buffer, min(bufferSize, remaining))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw fail("read") }
                var offset = 0
                while offset < count {
                    let written = Foundation.write(output, buffer + offset, count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { throw fail("write") }
                    offset += written
                }
                remaining -= count
            }
        }
        guard remaining == 0 else {
            errno = EIO
            throw fail("copy_file_range (\(source) ended early)")
        }
        closed = true
        guard Foundation.close(output) == 0 else {
            unlink(destination)
            throw ResultFileError.system(call: "close", path: destination, message: posixMessage())
        }
    }

    /// Opens `path`, reporting a file locked by another process clearly.
    private static func openHDF5(_ path: String, mode: HDF5File.AccessMode) throws -> HDF5File {
        do {
            return try HDF5File.open(path, mode: mode)
        } catch where error.message.contains("unable to lock file") {
            throw ResultFileError.inUse(path: path)
        }
    }

    private static func writeLayout(
        into file: HDF5File, axes: ScanAxes, extras: [String], metadata: ScanMetadata, stage: String, compressed: Bool
    ) throws {
        typealias Layout = ResultFileLayout
        typealias Root = ResultFileLayout.Root

        // Root attributes (CF style plus provenance).
        try file.setAttribute(Root.conventions, .string("CF-1.8"))
        try file.setAttribute(Root.title, .string("diodescan rectification maps"))
        try file.setAttribute(
            Root.source, .string("diodescan \(metadata.softwareVersion) (\(metadata.sourceRevision))"))
        try file.setAttribute(Root.history, .string(metadata.history))
        try file.setAttribute(Root.fileStage, .string(stage))
        try file.setAttribute(Root.softwareVersion, .string(metadata.softwareVersion))
        try file.setAttribute(Root.sourceRevision, .string(metadata.sourceRevision))
        try file.setAttribute(Root.creationTime, .string(metadata.creationTime))
        try file.setAttribute(Root.jobText, .string(metadata.jobText))
        try file.setAttribute(Root.jobFingerprint, .string(metadata.jobFingerprint))
        try file.setAttribute(Root.statusCodes, .string(Layout.statusCodes))
        try file.setAttribute(Root.tilesTotal, .int(Int64(axes.tileCount)))
        try file.setAttribute(Root.parameterNames, .strings(metadata.parameters.map(\.name)))
        for parameter in metadata.parameters {
            try file.setAttribute(parameter.name, parameter.value)
        }

        // Coordinates as dimension scales.
        func coordinate<T: HDF5Scalar>(_ spec: Layout.Coordinate, _ values: [T]) throws -> HDF5Dataset {
            let dataset = try file.createDataset(spec.name, of: T.self, shape: [values.count])
            try dataset.write(values)
            try dataset.setAttribute("units", .string(spec.units))
            try dataset.setAttribute("long_name", .string(spec.longName))
            try dataset.makeDimensionScale(dimensionName: spec.name)
            return dataset
        }
        // Outermost first, then `region`: the order the paper's files always had.
        let scales = try axes.dimensions.map { try coordinate(Layout.coordinate(for: $0.key), $0.values) }
        let region = try coordinate(Layout.regionCoordinate, Layout.regionValues)

        let grid = axes.shape
        // Uncompressed result datasets are allocated but not filled: writing
        // NaN/−1 into every byte would cost as much as writing the results
        // (144 bytes per point, before the first tile can be computed).
        // `tile_done` = 3 says which tiles hold no values yet.
        func storage(_ shape: [Int]) -> HDF5Layout {
            compressed
                ? .chunked(chunkShape: Layout.chunkShape(for: shape), deflateLevel: Layout.deflateLevel)
                : .contiguousAllocatedUnfilled
        }
        func describe(_ dataset: HDF5Dataset, units: String, longName: String, scales: [HDF5Dataset]) throws {
            try dataset.setAttribute("units", .string(units))
            try dataset.setAttribute("long_name", .string(longName))
            for (dimension, scale) in scales.enumerated() {
                try dataset.attach(scale: scale, toDimension: dimension)
            }
        }
        // Extras come last, after `tile_done` (below): a file without them
        // has the layout files always had.
        func createDoubles(_ variables: [Layout.DoubleVariable]) throws {
        for variable in variables {
            let shape = variable.perRegion ? grid + [3] : grid
            let dataset = try file.createDataset(
                variable.name, of: Double.self, shape: shape, layout: storage(shape), fillValue: .nan)
            try describe(
                dataset, units: variable.units, longName: variable.longName,
                scales: variable.perRegion ? scales + [region] : scales)
        }
        }
        try createDoubles(Layout.doubleVariables)
        for variable in Layout.int32Variables {
            let dataset = try file.createDataset(
                variable.name, of: Int32.self, shape: grid, layout: storage(grid), fillValue: -1)
            try describe(dataset, units: "1", longName: variable.longName, scales: scales)
            if variable.isStatus {
                try dataset.setAttribute(Root.statusCodes, .string(Layout.statusCodes))
                try dataset.setAttribute("flag_values", .ints(Layout.statusFlagValues))
                try dataset.setAttribute("flag_meanings", .string(Layout.statusFlagMeanings))
            }
        }
        let tileShape = axes.outerShape
        let tileDone = try file.createDataset(
            Layout.tileDone, of: UInt8.self, shape: tileShape,
            layout: compressed ? storage(tileShape) : .contiguous(preallocated: true), fillValue: 0)
        if !compressed {
            try tileDone.write([UInt8](repeating: Layout.TileFlag.unwritten, count: axes.tileCount))
        }
        let outerNames = axes.outer.map(\.key).joined(separator: ", ")
        try describe(
            tileDone, units: "1", longName: "1 when the tile (the \(axes.inner.key) line at this \(outerNames)) is complete",
            scales: Array(scales.dropLast()))
        try tileDone.setAttribute("flag_values", .ints(Layout.TileFlag.all.map(Int64.init)))
        try tileDone.setAttribute("flag_meanings", .string(Layout.TileFlag.meanings))
        try createDoubles(Layout.doubleVariables(extras: extras).dropFirst(Layout.doubleVariables.count).map { $0 })
        try file.flush()
    }

    /// Copies every result dataset from `source` to `destination` (same
    /// axes), in blocks of whole chunks of the compressed layout (memory
    /// independent of the grid). Tiles whose `tile_done` flag is not 1 are
    /// written as fill values with flag 0, whatever partial values `source`
    /// holds.
    ///
    /// With `compressingOn` threads (a compressed `destination`), the main
    /// thread reads a group of chunks, the threads shuffle and deflate them
    /// at once (zlib only: `HDF5ChunkFilter`, no HDF5 call), and the main
    /// thread stores them with `H5Dwrite_chunk`: the files are the same as
    /// through HDF5's own (serial) filter pipeline, in a fraction of the time.
    private static func copyResults(
        from source: HDF5File, to destination: HDF5File, axes: ScanAxes, extras: [String], compressingOn threads: Int? = nil
    ) throws {
        typealias Layout = ResultFileLayout
        let outerShape = axes.outerShape
        let outerCount = outerShape.count
        let nE1 = axes.pointsPerTile
        let done = try source.openDataset(Layout.tileDone).read(UInt8.self).map {
            $0 == Layout.TileFlag.done ? Layout.TileFlag.done : Layout.TileFlag.notDone
        }
        try destination.openDataset(Layout.tileDone).write(done)
        /// Row-major offset of `index` in a box of `sizes`.
        func offset(_ index: [Int], in sizes: [Int]) -> Int {
            zip(index, sizes).reduce(0) { $0 * $1.1 + $1.0 }
        }
        /// Every index of a box of `sizes`, row-major.
        func box(_ sizes: [Int]) -> [[Int]] {
            sizes.reduce([[]]) { prefixes, size in prefixes.flatMap { prefix in (0..<size).map { prefix + [$0] } } }
        }
        func copy<T: HDF5Scalar>(_ name: String, _ type: T.Type, perPoint: Int, fill: T) throws {
            let trailing = perPoint == 1 ? [nE1] : [nE1, perPoint]
            let shape = outerShape + trailing
            let block = Layout.chunkShape(for: shape)
            let outerBlock = Array(block[..<outerCount])
            let from = try source.openDataset(name)
            let to = try destination.openDataset(name)
            let tileLength = nE1 * perPoint
            // Chunks are cut along the outer axes only (whole tiles) unless a
            // tile alone exceeds the chunk target; then HDF5 compresses.
            let rawChunks = threads.flatMap { block[outerCount...] == shape[outerCount...] ? max(1, $0) : nil }
            // Chunk k's first tile, row-major over the chunk grid (computed,
            // not listed: a grid may have millions of chunks).
            let chunkCounts = zip(outerShape, outerBlock).map { ($0 + $1 - 1) / $1 }
            let chunkTotal = chunkCounts.reduce(1, *)
            func origin(_ k: Int) -> [Int] {
                var rest = k
                var index = [Int](repeating: 0, count: outerCount)
                for position in (0..<outerCount).reversed() {
                    index[position] = rest % chunkCounts[position] * outerBlock[position]
                    rest /= chunkCounts[position]
                }
                return index
            }
            let group = 4 * (rawChunks ?? 1)
            for first in stride(from: 0, to: chunkTotal, by: group) {
                var chunks: [[T]] = []
                for origin in (first..<min(first + group, chunkTotal)).map(origin) {
                    let sizes = zip(zip(outerBlock, outerShape), origin).map { Swift.min($0.0, $0.1 - $1) }
                    let start = origin + [Int](repeating: 0, count: trailing.count)
                    let count = sizes + trailing
                    var slab = try from.read(T.self, start: start, count: count)
                    let tiles = box(sizes)
                    for (line, index) in tiles.enumerated()
                    where done[offset(zip(origin, index).map(+), in: outerShape)] != Layout.TileFlag.done {
                        let at = line * tileLength
                        slab.replaceSubrange(at..<(at + tileLength), with: repeatElement(fill, count: tileLength))
                    }
                    guard rawChunks != nil else {
                        try to.write(slab, start: start, count: count)
                        continue
                    }
                    // An edge chunk is stored whole: pad it with fill values.
                    var chunk = [T](repeating: fill, count: outerBlock.reduce(1, *) * tileLength)
                    for (line, index) in tiles.enumerated() {
                        let at = offset(index, in: outerBlock) * tileLength
                        chunk.replaceSubrange(at..<(at + tileLength),
                                              with: slab[(line * tileLength)..<((line + 1) * tileLength)])
                    }
                    chunks.append(chunk)
                }
                guard let threads = rawChunks else { continue }
                let compressed = try ParallelCompression.shuffleAndDeflate(chunks, level: Layout.deflateLevel, threads: threads)
                for (index, bytes) in compressed.enumerated() {
                    try to.writeRawChunk(bytes, at: origin(first + index) + [Int](repeating: 0, count: trailing.count))
                }
            }
        }
        for variable in Layout.doubleVariables(extras: extras) {
            try copy(variable.name, Double.self, perPoint: variable.perRegion ? 3 : 1, fill: .nan)
        }
        for variable in Layout.int32Variables {
            try copy(variable.name, Int32.self, perPoint: 1, fill: -1)
        }
    }

    /// Moves the complete file `temporary` to `path`. Without `replacing`,
    /// fails if `path` exists (hard link, which refuses to replace).
    private static func publish(_ temporary: String, as path: String, replacing: Bool) throws {
        try movePublishing(temporary, as: path, replacing: replacing)
        // Make the new directory entry durable too.
        ResultFileJournal.synchronizeDirectory(of: path)
    }

    private static func movePublishing(_ temporary: String, as path: String, replacing: Bool) throws {
        if replacing {
            guard rename(temporary, path) == 0 else {
                let message = posixMessage()
                unlink(temporary)
                throw ResultFileError.system(call: "rename", path: path, message: message)
            }
            return
        }
        defer { unlink(temporary) }
        if link(temporary, path) == 0 { return }
        let linkError = errno
        if linkError == EEXIST { throw ResultFileError.fileExists(path: path) }
        // File systems without hard links: check, then rename (not atomic,
        // but no other diodescan writes this path).
        if FileManager.default.fileExists(atPath: path) { throw ResultFileError.fileExists(path: path) }
        guard rename(temporary, path) == 0 else {
            throw ResultFileError.system(call: "rename", path: path, message: posixMessage())
        }
    }

    /// Forces the file's data to stable storage, so that a rename that
    /// publishes it cannot survive a power loss without its contents.
    private static func synchronize(_ path: String) throws {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ResultFileError.system(call: "open", path: path, message: posixMessage())
        }
        defer { Foundation.close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw ResultFileError.system(call: "fsync", path: path, message: posixMessage())
        }
    }
}

/// glibc's `copy_file_range(2)` (declared only with `_GNU_SOURCE`, so Swift
/// does not see it), looked up once; nil on a C library without it.
private let kernelCopyFileRange: (@convention(c) (
    Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
) -> Int)? = {
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "copy_file_range") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (
        Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
    ) -> Int).self)
}()
