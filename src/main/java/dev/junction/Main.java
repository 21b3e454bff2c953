package dev.junction;

import dev.junction.capture.RouteCapture;
import dev.junction.config.CommonOptions;
import dev.junction.config.ProxyConfig;
import dev.junction.config.ProxyOptions;
import dev.junction.demo.Demo;
import dev.junction.dataplane.Transport;
import dev.junction.observe.BuildInfo;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The {@code junction} command line: {@code run} (the default), {@code demo}, {@code cleanup}, {@code routes}, and
 * {@code completion} and {@code man}, both written from this definition. The flags
 * and their merging with the config file are {@link ProxyOptions}'s; this class only wires commands to
 * {@link Junction} and {@link Demo}.
 */
@Command(name = "junction", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A userspace service proxy for Kubernetes.",
        subcommands = {Main.Run.class, Main.DemoCommand.class, Main.Cleanup.class, RoutesCommand.class,
            Main.Completion.class, Main.Man.class})
public final class Main implements Callable<Integer> {

    /** Exit code for a bad flag or value, as picocli and most CLIs use. */
    static final int USAGE = 2;

    @Mixin
    ProxyOptions options;

    public static void main(String[] args) {
        Logging.install();
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = ProxyOptions.withConverters(new CommandLine(new Main()));
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("junction: " + e.getMessage());
                return USAGE;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /** One clear line and exit code 2, instead of picocli's usage dump. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println("junction: " + e.getMessage() + " (see --help)");
        return USAGE;
    }

    @Override
    public Integer call() throws Exception {
        return run(options.config());
    }

    /**
     * Runs until SIGTERM/SIGINT, then shuts down gracefully: /healthz fails, listeners stop accepting, open
     * connections get up to the grace period, then everything closes and the process exits 0.
     */
    static int run(ProxyConfig config) throws Exception {
        configureLogging(config);
        if (config.source() instanceof ProxyConfig.Manifests m && !Files.isDirectory(m.dir())) {
            throw new IllegalArgumentException("--manifests: " + m.dir() + " is not a directory");
        }
        return new Junction(config).start().serveUntilSignal();
    }

    /** Before anything that logs starts. */
    private static void configureLogging(ProxyConfig config) {
        Logging.configure(config.logLevel(), config.logFormat());
    }

    @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Run the proxy (the default command).")
    static final class Run implements Callable<Integer> {
        @Mixin
        ProxyOptions options;

        @Override
        public Integer call() throws Exception {
            return run(options.config());
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Start three HTTP backends on loopback and proxy two Services to them, with the health "
                    + "and metrics servers of run (on free ports when theirs are taken).")
    static final class DemoCommand implements Callable<Integer> {
        // Only what the demo honours: it brings its own manifests, never captures and has no config file.
        @Mixin
        CommonOptions options;

        @Override
        public Integer call() throws Exception {
            return Demo.run(options.settings(), Main::configureLogging);
        }
    }

    @Command(name = "cleanup", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Remove every local route Junction installed (route protocol 74, IPv4 and IPv6), "
                    + "e.g. after a run with --keep-routes or a crash.")
    static final class Cleanup implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try {
                int removed = RouteCapture.cleanup();
                spec.commandLine().getOut().println("junction cleanup: removed " + removed + " local routes");
                return 0;
            } catch (RuntimeException e) {
                spec.commandLine().getErr().println("junction cleanup: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "completion", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Print the bash and zsh completion script: source <(junction completion).")
    static final class Completion implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            CommandLine root = spec.root().commandLine();
            offerOnlyParsableValues(root.getCommandSpec());
            root.getSubcommands().values().forEach(sub -> offerOnlyParsableValues(sub.getCommandSpec()));
            root.getOut().print(AutoComplete.bash(root.getCommandName(), root));
            root.getOut().flush();
            return 0;
        }

        /**
         * picocli offers an enum option's constant names (IO_URING), which our converters refuse: offer each
         * constant's lower-case name or toString(), whichever the real CLI parses, and nothing where neither does.
         */
        private static void offerOnlyParsableValues(CommandLine.Model.CommandSpec command) {
            for (CommandLine.Model.OptionSpec o : List.copyOf(command.options())) {
                if (!o.type().isEnum()) {
                    continue;
                }
                List<String> values = new ArrayList<>();
                for (Object constant : o.type().getEnumConstants()) {
                    String name = ((Enum<?>) constant).name().toLowerCase(Locale.ROOT);
                    Stream.of(name, constant.toString()).filter(v -> parses(command, o, v)).findFirst()
                            .ifPresent(values::add);
                }
                boolean all = values.size() == o.type().getEnumConstants().length;
                command.remove(o);
                // The script names its value list after the param label: two options labelled MODE would share one.
                command.addOption(CommandLine.Model.OptionSpec.builder(o).completionCandidates(all ? values : List.of())
                        .paramLabel(o.longestName().replaceAll("^-+", "")).build());
            }
        }

        private static boolean parses(CommandLine.Model.CommandSpec command, CommandLine.Model.OptionSpec o, String value) {
            List<String> args = new ArrayList<>();
            if (command.parent() != null) {
                args.add(command.name());
            }
            args.add(o.longestName() + "=" + value);
            try {
                ProxyOptions.withConverters(new CommandLine(new Main())).parseArgs(args.toArray(String[]::new));
                return true;
            } catch (CommandLine.ParameterException e) {
                return false;
            }
        }
    }

    @Command(name = "man", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Print the junction(1) man page (troff): junction man > junction.1; man ./junction.1.")
    static final class Man implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            CommandLine root = spec.root().commandLine();
            root.getOut().print(ManPage.troff(root, BuildInfo.current().version()));
            root.getOut().flush();
            return 0;
        }
    }

    /**
     * {@code --version}: the build's version, and the transport {@code --transport auto} would take here with the
     * reason for any fallback, so an operator sees before a rollout whether io_uring is refused.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "junction " + BuildInfo.current().version(),
                "transport (auto): " + Transport.choose(Transport.Kind.AUTO),
            };
        }

    }
}
