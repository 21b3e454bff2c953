package dev.junction.source.kube;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the bearer token of a token file (a kubeconfig's {@code tokenFile}, the pod's service-account token)
 * with every request, as client-go does for a file the kubelet rewrites before the token expires: the file is
 * read trimmed (as {@code echo token > file} writes it, with a newline), re-read once the last read is
 * {@link #REREAD_PERIOD} old (client-go's {@code cachingTokenSource}), and re-read at once when the API server
 * answers 401, the request then retried once with the new token. A file that cannot be read keeps the last
 * token in use (client-go's "Unable to rotate token"). Thread-safe: OkHttp calls it on every request's thread.
 */
final class TokenFileAuth implements Interceptor {

    private static final Logger log = LoggerFactory.getLogger(TokenFileAuth.class);
    private static final int UNAUTHORIZED = 401;
    /** How long a read token is used before the file is read again: client-go's cached file token source's. */
    static final Duration REREAD_PERIOD = Duration.ofMinutes(1);

    /** The token file cannot give a token and no earlier read did: nothing to authenticate with. */
    static final class Unreadable extends IOException {
        Unreadable(String message) {
            super(message);
        }
    }

    private final Path file;
    private final Clock clock;
    // Guarded by this.
    private String token;
    private long readMillis;

    TokenFileAuth(Path file, Clock clock) {
        this.file = Objects.requireNonNull(file, "file");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    Path file() {
        return file;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        long sentMillis = clock.millis();
        String sent = token();
        Response response = chain.proceed(authorized(request, sent));
        if (response.code() != UNAUTHORIZED || request.body() != null) {
            return response;
        }
        String fresh = rereadAfterRefusal(sent, sentMillis);
        if (fresh.equals(sent)) {
            return response;
        }
        response.close();
        return chain.proceed(authorized(request, fresh));
    }

    /** The token to send: the one read last, unless that read is {@link #REREAD_PERIOD} old. */
    synchronized String token() throws Unreadable {
        if (token == null || clock.millis() - readMillis >= REREAD_PERIOD.toMillis()) {
            read();
        }
        return token;
    }

    /**
     * {@code sent} was refused: the file is read again unless it was since {@code sentMillis}, and the token it
     * holds returned. One line when it changed, which is a rotation the timer had not caught yet.
     */
    private synchronized String rereadAfterRefusal(String sent, long sentMillis) throws Unreadable {
        if (readMillis <= sentMillis) {
            read();
            if (!token.equals(sent)) {
                log.info("Kubernetes API answered 401 Unauthorized to the token from {}; the file holds a new one "
                        + "(rotated): retrying with it", file);
            }
        }
        return token;
    }

    private void read() throws Unreadable {
        readMillis = clock.millis();
        String problem;
        try {
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (!value.isEmpty() && value.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
                token = value;
                return;
            }
            problem = value.isEmpty() ? "is empty" : "holds characters a token cannot have (not printable ASCII)";
        } catch (IOException | RuntimeException e) {
            problem = e instanceof NoSuchFileException ? "does not exist" : "cannot be read: " + e;
        }
        if (token == null) {
            throw new Unreadable("token file " + file + " " + problem);
        }
        log.warn("token file {} {}; keeping the token read before", file, problem);
    }

    private static Request authorized(Request request, String token) {
        return request.newBuilder().header("Authorization", "Bearer " + token).build();
    }
}
