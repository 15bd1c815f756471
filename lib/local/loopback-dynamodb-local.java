import java.net.BindException;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local listening on 127.0.0.1 only. Its own main binds every interface and has no option
 * for the address, so this sets the Jetty connector's host before starting it (run as a Java source
 * file with DynamoDBLocal.jar on the class path; the arguments are DynamoDB Local's own).
 *
 * It prints "ready on 127.0.0.1:<port>" once it answers, so the caller knows the server on the port
 * is this one, and exits 10 when the port is taken, whoever holds it.
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    var field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (var connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    try {
      proxy.start();
    } catch (Exception error) {
      for (Throwable cause = error; cause != null; cause = cause.getCause()) {
        if (cause instanceof BindException) {
          System.err.println("port in use: " + cause.getMessage());
          System.exit(10);
        }
      }
      throw error;
    }
    // DynamoDB Local reports some start failures on stderr and returns instead of throwing.
    if (!server.isStarted()) System.exit(11);
    System.out.println("ready on 127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
  }
}
