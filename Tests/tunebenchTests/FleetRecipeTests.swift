import Foundation
import Testing
import Yams

/// scripts/fleet/: the Kubernetes and Slurm recipes parse, say what they must (node selectors,
/// the password from a secret, one queue name per job), and call tunebench only with options
/// `tunebench autotune` has.
@Suite("fleet recipes")
struct FleetRecipeTests {
    static let folder = CLITests.root.appendingPathComponent("scripts/fleet")

    static func documents(_ file: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        return try Yams.load_all(yaml: text).map { try #require($0 as? [String: Any], "\(file): a document is not a mapping") }
    }

    /// The value at a dotted path ("spec.template.spec").
    static func value(_ object: Any?, _ path: String) -> Any? {
        path.split(separator: ".").reduce(object) { ($0 as? [String: Any])?[String($1)] }
    }

    /// The long options `tunebench autotune --help` lists.
    static func autotuneOptions() throws -> Set<String> {
        let help = try CLITests.tunebench(["autotune", "--help"])
        #expect(help.status == 0)
        return Set(help.stdout.matches(of: /--[a-z][a-z-]*/).map { String($0.output) })
    }

    /// Checks a tunebench command line: autotune, shared through PostgreSQL, known options only,
    /// no password in the location.
    static func checkCommand(_ arguments: [String], in file: String, options: Set<String>) {
        #expect(arguments.first == "autotune", "\(file): \(arguments)")
        for option in arguments where option.hasPrefix("--") {
            #expect(options.contains(option), "\(file): tunebench autotune has no \(option)")
        }
        let db = arguments.firstIndex(of: "--db").map { arguments[$0 + 1] } ?? ""
        #expect(db.hasPrefix("postgres://") || db.contains("TUNEBENCH_DB"), "\(file): --db \(db)")
        #expect(db.firstMatch(of: /postgres:\/\/[^\/@]*:[^\/@]*@/) == nil, "\(file): a password in \(db)")
        #expect(arguments.contains("--share") && arguments.contains("--lease"), "\(file): \(arguments)")
    }

    static func checkPassword(_ container: [String: Any], in file: String) {
        let env = container["env"] as? [[String: Any]] ?? []
        let password = env.first { $0["name"] as? String == "PGPASSWORD" }
        #expect(value(password, "valueFrom.secretKeyRef.name") is String, "\(file): PGPASSWORD must come from a Secret")
        #expect(password?["value"] == nil, "\(file): PGPASSWORD written in the recipe")
    }

    @Test("Kubernetes Jobs: one per node pool, one tuner per machine, shared by the Job's name")
    func kubernetesJobs() throws {
        let options = try Self.autotuneOptions()
        let jobs = try Self.documents("kubernetes-job.yaml")
        #expect(jobs.count >= 2)
        var selectors: [String] = []
        for job in jobs {
            #expect(job["apiVersion"] as? String == "batch/v1" && job["kind"] as? String == "Job")
            let name = try #require(Self.value(job, "metadata.name") as? String)
            let parallelism = try #require(Self.value(job, "spec.parallelism") as? Int)
            #expect(parallelism >= 1 && Self.value(job, "spec.completions") as? Int == parallelism, "\(name)")
            let pod = try #require(Self.value(job, "spec.template.spec") as? [String: Any])
            #expect(["OnFailure", "Never"].contains(pod["restartPolicy"] as? String ?? ""), "\(name)")
            let nodeSelector = try #require(pod["nodeSelector"] as? [String: Any], "\(name): no nodeSelector")
            #expect(!nodeSelector.isEmpty)
            selectors.append(nodeSelector.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ","))
            // The anti-affinity selects this Job's own pods, one per host.
            let labels = try #require(Self.value(job, "spec.template.metadata.labels") as? [String: String])
            let terms = try #require(Self.value(pod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution") as? [[String: Any]])
            let matchLabels = try #require(Self.value(terms.first, "labelSelector.matchLabels") as? [String: String])
            #expect(matchLabels.allSatisfy { labels[$0.key] == $0.value } && terms.first?["topologyKey"] as? String == "kubernetes.io/hostname", "\(name)")
            let container = try #require((pod["containers"] as? [[String: Any]])?.first)
            let arguments = try #require(container["args"] as? [String])
            Self.checkCommand(arguments, in: name, options: options)
            // Every $(VAR) the arguments use is defined, and the queue is the Job's name.
            let env = (container["env"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            for variable in arguments.joined(separator: " ").matches(of: /\$\(([A-Z_]+)\)/) {
                #expect(env.contains(String(variable.output.1)), "\(name): $(\(variable.output.1)) is not defined")
            }
            #expect(arguments[arguments.firstIndex(of: "--share")! + 1] == "$(JOB_NAME)")
            let jobName = (container["env"] as? [[String: Any]])?.first { $0["name"] as? String == "JOB_NAME" }
            #expect(Self.value(jobName, "valueFrom.fieldRef.fieldPath") as? String == "metadata.labels['job-name']")
            Self.checkPassword(container, in: name)
            #expect(Self.value(pod, "volumes") != nil && container["volumeMounts"] != nil, "\(name): the model is not mounted")
        }
        #expect(Set(selectors).count == jobs.count, "two Jobs select the same nodes: \(selectors)")
        #expect(Set(jobs.compactMap { Self.value($0, "metadata.name") as? String }).count == jobs.count)
    }

    @Test("Kubernetes DaemonSet: a tuner per selected node, the share name and database from its ConfigMap")
    func kubernetesDaemonSet() throws {
        let options = try Self.autotuneOptions()
        let documents = try Self.documents("kubernetes-daemonset.yaml")
        let daemonSet = try #require(documents.first { $0["kind"] as? String == "DaemonSet" })
        #expect(daemonSet["apiVersion"] as? String == "apps/v1")
        let selector = try #require(Self.value(daemonSet, "spec.selector.matchLabels") as? [String: String])
        #expect(selector == Self.value(daemonSet, "spec.template.metadata.labels") as? [String: String])
        let pod = try #require(Self.value(daemonSet, "spec.template.spec") as? [String: Any])
        #expect(!(pod["nodeSelector"] as? [String: Any] ?? [:]).isEmpty)
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let script = try #require((container["args"] as? [String])?.first)
        let command = try #require(script.split(separator: ";").first).split(separator: " ").map { $0.replacingOccurrences(of: "\"", with: "") }
        #expect(command.first == "tunebench")
        Self.checkCommand(Array(command.dropFirst()), in: "kubernetes-daemonset.yaml", options: options)
        #expect(script.contains("exec sleep infinity"), "a DaemonSet would restart the finished tuner")
        // The variables the command reads come from the ConfigMap in the same file.
        let configMapName = try #require(Self.value((container["envFrom"] as? [[String: Any]])?.first, "configMapRef.name") as? String)
        let configMap = try #require(documents.first { $0["kind"] as? String == "ConfigMap" && Self.value($0, "metadata.name") as? String == configMapName })
        let data = try #require(configMap["data"] as? [String: String])
        for variable in script.matches(of: /\$([A-Z_]+)/).map({ String($0.output.1) }) {
            #expect(data[variable] != nil, "$\(variable) is not in ConfigMap \(configMapName)")
        }
        #expect(data["TUNEBENCH_DB"]?.hasPrefix("postgres://") == true)
        Self.checkPassword(container, in: "kubernetes-daemonset.yaml")
    }

    @Test("Slurm job array: valid bash, known #SBATCH directives, one queue per array job")
    func slurmArray() throws {
        let path = Self.folder.appendingPathComponent("slurm-array.sbatch").path
        let syntax = Process()
        syntax.executableURL = URL(fileURLWithPath: "/bin/bash")
        syntax.arguments = ["-n", path]
        try syntax.run()
        syntax.waitUntilExit()
        #expect(syntax.terminationStatus == 0)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let known: Set<String> = ["job-name", "array", "nodes", "ntasks", "exclusive", "time", "requeue", "output", "error", "constraint",
                                  "partition", "cpus-per-task", "mem", "account", "qos"]
        var directives: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("#SBATCH") {
            let match = try #require(line.wholeMatch(of: /#SBATCH --([a-z-]+)(?:=(\S+))?/), "not a directive: \(line)")
            #expect(known.contains(String(match.output.1)), "unknown directive \(line)")
            directives[String(match.output.1)] = match.output.2.map(String.init) ?? ""
        }
        #expect(directives["array"]?.wholeMatch(of: /\d+-\d+(%\d+)?/) != nil)
        #expect(directives["exclusive"] != nil, "a tuner measures the whole node")
        #expect(directives["time"]?.wholeMatch(of: /(\d+-)?\d{1,2}:\d{2}:\d{2}/) != nil)
        // The #SBATCH lines must precede the first command, or sbatch ignores them.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let lastDirective = try #require(lines.lastIndex { $0.hasPrefix("#SBATCH") })
        #expect(lines[..<lastDirective].allSatisfy { $0.hasPrefix("#") || $0.isEmpty })
        // The tunebench command, continuation lines joined.
        let command = try #require(text.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").first { $0.hasPrefix("exec tunebench") })
        let arguments = command.split(separator: " ").map(String.init).dropFirst(2)
        Self.checkCommand(Array(arguments), in: "slurm-array.sbatch", options: try Self.autotuneOptions())
        #expect(command.contains("--share \"slurm-${SLURM_ARRAY_JOB_ID"))
    }

    @Test("the image installs the packages tunebench builds with (scripts/install-system-packages)")
    func dockerfile() throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }.count == 2)
        let install = try String(contentsOf: CLITests.root.appendingPathComponent("scripts/install-system-packages"), encoding: .utf8)
        let line = try #require(install.firstMatch(of: /packages=\(([^)]*)\)/)).output.1
        let packages = line.split(separator: " ").filter { !$0.contains("$") }
        #expect(packages.count >= 8)
        let stages = text.components(separatedBy: "\nFROM ")
        try #require(stages.count == 3)
        let buildStage = stages[1]
        for package in packages { #expect(buildStage.contains(" \(package)"), "the image's build stage does not install \(package)") }
        #expect(text.contains("--static-swift-stdlib") && text.contains("ENTRYPOINT [\"tunebench\"]"))
    }
}
