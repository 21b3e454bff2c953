package dev.junction.source.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.testing.FakeApiServer;
import dev.junction.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token of a token file as client-go's cached file token source sends it (client-go
 * transport/token_source_test.go: TestCachingTokenSource, and the 401 reset of tokenSourceTransport).
 */
class TokenFileAuthTest {

    @TempDir
    Path dir;

    private final FakeApiServer api = FakeApiServer.start();
    private final ManualClock clock = new ManualClock();

    @AfterEach
    void tearDown() throws IOException {
        api.close();
    }

    private int get(OkHttpClient http) throws IOException {
        try (Response response = http.newCall(new Request.Builder().url(api.url() + "/api/v1/services").build())
                .execute()) {
            return response.code();
        }
    }

    private OkHttpClient client(Path file) {
        return new OkHttpClient.Builder().addInterceptor(new TokenFileAuth(file, clock)).build();
    }

    @Test
    void tokenIsTrimmedAsEchoWritesIt() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "s3cret\n");
        api.acceptTokens("s3cret");
        assertEquals(200, get(client(file)));
        assertEquals(List.of("s3cret"), api.tokens());
    }

    @Test
    void fileIsReadAgainOnceTheLastReadIsAMinuteOld() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "one\n");
        api.acceptTokens("one", "two");
        OkHttpClient http = client(file);
        get(http);
        Files.writeString(file, "two\n");
        clock.advance(TokenFileAuth.REREAD_PERIOD.minus(Duration.ofSeconds(1)));
        get(http);
        clock.advance(Duration.ofSeconds(1));
        get(http);
        assertEquals(List.of("one", "one", "two"), api.tokens());
    }

    @Test
    void refusedTokenIsReadAgainAtOnceAndTheRequestRetriedWithTheNewOne() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "old\n");
        api.acceptTokens("old");
        OkHttpClient http = client(file);
        assertEquals(200, get(http));
        Files.writeString(file, "new\n");
        api.acceptTokens("new");
        assertEquals(200, get(http));
        assertEquals(List.of("old", "old", "new"), api.tokens());
    }

    @Test
    void refusalWithTheFileUnchangedIsTheAnswer() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "revoked\n");
        api.acceptTokens("other");
        assertEquals(401, get(client(file)));
        assertEquals(List.of("revoked"), api.tokens());
    }

    @Test
    void unreadableFileKeepsTheTokenReadBefore() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "kept\n");
        api.acceptTokens("kept");
        OkHttpClient http = client(file);
        get(http);
        Files.delete(file);
        clock.advance(TokenFileAuth.REREAD_PERIOD);
        assertEquals(200, get(http));
        assertEquals(List.of("kept", "kept"), api.tokens());
    }

    @Test
    void missingOrEmptyFileWithoutAnEarlierTokenFailsTheRequestNamingTheFile() throws IOException {
        Path missing = dir.resolve("missing");
        IOException e = assertThrows(IOException.class, () -> get(client(missing)));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        IOException blank = assertThrows(IOException.class, () -> get(client(empty)));
        assertTrue(blank.getMessage().contains("is empty"), blank.getMessage());
        assertEquals(List.of(), api.tokens());
    }
}
