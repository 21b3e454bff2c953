package dev.junction.source.kube;

/** Every case of {@link KubeSourceTest} with the source asking for JSON ({@code --kube-api-content-type json}). */
class KubeSourceJsonTest extends KubeSourceTest {

    @Override
    ApiContentType contentType() {
        return ApiContentType.JSON;
    }
}
